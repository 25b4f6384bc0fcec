"""Delivery through SMTP: STARTTLS, implicit TLS, or plain SMTP to a server on this machine."""

from __future__ import annotations

import smtplib
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from email.message import EmailMessage

from rfa_dash.notify.config import Smtp


class DeliveryError(RuntimeError):
    """The server could not be reached, refused us, or refused a recipient."""


# A socket timeout bounds each read; a server that trickles a byte at a time (a tarpit)
# never trips it. So every step (connecting and logging in; each message) also has a
# total bound, this many times the configured timeout, after which its socket is shut.
TOTAL_TIMEOUTS = 4


class _Bounded:
    """Mixin: keeps the session's socket so a deadline can shut it from another thread."""

    sock_for_deadline: socket.socket | None = None

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = super()._get_socket(host, port, timeout)  # type: ignore[misc]
        self.sock_for_deadline = sock
        return sock


class _SMTP(_Bounded, smtplib.SMTP):
    pass


class _SMTPSSL(_Bounded, smtplib.SMTP_SSL):
    pass


@contextmanager
def _deadline(conn: smtplib.SMTP, seconds: float) -> Iterator[list[bool]]:
    """Shut ``conn``'s socket if the block has not finished within ``seconds``; the list
    yielded holds True once that happened."""
    fired = [False]

    def shut() -> None:
        sock = getattr(conn, "sock_for_deadline", None)
        if sock is not None:
            fired[0] = True
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(seconds, shut)
    timer.daemon = True
    timer.start()
    try:
        yield fired
    finally:
        timer.cancel()


def _context(s: Smtp) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(s.ca_file) if s.ca_file else None)
    if not s.verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def connect(s: Smtp) -> smtplib.SMTP:
    """An open, authenticated SMTP session.

    Raises
    ------
    DeliveryError
        With one line saying what went wrong (never the password).
    """
    total = s.timeout * TOTAL_TIMEOUTS
    conn: smtplib.SMTP = _SMTPSSL(timeout=s.timeout, context=_context(s)) \
        if s.security == "tls" else _SMTP(timeout=s.timeout)
    conn._host = s.host   # type: ignore[attr-defined]  # STARTTLS checks the certificate for it
    fired = [False]
    slow = DeliveryError(f"{s.host}:{s.port} did not finish connecting within {total:g} s "
                         "(it answers too slowly)")
    try:
        with _deadline(conn, total) as fired:
            conn.connect(s.host, s.port)
            if s.security == "starttls":
                conn.starttls(context=_context(s))
            password = s.password()
            if s.user:
                conn.login(s.user, password or "")
    except (OSError, smtplib.SMTPException) as exc:
        conn.close()
        raise (slow if fired[0] else _connect_error(s, exc)) from exc
    if fired[0]:   # a reply cut short by the deadline can still parse
        conn.close()
        raise slow
    return conn


def _connect_error(s: Smtp, exc: BaseException) -> DeliveryError:
    """One line for what went wrong while connecting (never the password)."""
    where = f"{s.host}:{s.port}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return DeliveryError(f"the certificate of {where} is not trusted "
                             f"({exc.verify_message}); give its CA as smtp.ca_file")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return DeliveryError(f"{where} refused the login of {s.user} ({exc.smtp_code})")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return DeliveryError(f"{where} does not offer STARTTLS")
    if isinstance(exc, TimeoutError) or (isinstance(exc, smtplib.SMTPServerDisconnected)
                                         and "timed out" in str(exc)):
        # "timed out" is smtplib's word for a reply that never came
        return DeliveryError(f"{where} did not answer within {s.timeout:g} s")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return DeliveryError(f"{where} closed the connection: {exc}")
    return DeliveryError(f"cannot reach {where}: {exc}")


def deliver(conn: smtplib.SMTP, message: EmailMessage) -> None:
    """Send one message on an open session.

    Raises
    ------
    DeliveryError
        When the server refuses the message or its recipient, or the session broke.
    """
    total = (conn.timeout if isinstance(conn.timeout, (int, float)) else 30) * TOTAL_TIMEOUTS
    fired = [False]
    slow = DeliveryError(f"sending to {message['To']} did not finish within {total:g} s (the "
                         "server answers too slowly)")
    try:
        with _deadline(conn, total) as fired:
            refused = conn.send_message(message)
        if fired[0]:
            raise slow
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        raise DeliveryError(f"{message['To']} refused by the server: {code} "
                            f"{text.decode(errors='replace') if isinstance(text, bytes) else text}"
                            ) from exc
    except (OSError, smtplib.SMTPException) as exc:
        if fired[0]:
            raise slow from exc
        raise DeliveryError(f"sending to {message['To']} failed: {exc}") from exc
    if refused:
        raise DeliveryError(f"{message['To']} refused by the server: {refused}")
