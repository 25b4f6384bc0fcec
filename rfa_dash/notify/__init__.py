"""Messages that come to the users: the coordinator's daily digest and alerts on new events.

``python -m rfa_dash notify`` runs :func:`run.notify`; ``config`` reads the
settings, ``messages`` builds each message for a recipient's role, ``send``
delivers through SMTP, ``state`` remembers what was sent. See docs/notify.md.
"""
