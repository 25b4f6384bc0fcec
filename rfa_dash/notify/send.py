"""Delivery through SMTP: STARTTLS, implicit TLS, or plain SMTP to a server on this machine."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from rfa_dash.notify.config import Smtp


class DeliveryError(RuntimeError):
    """The server could not be reached, refused us, or refused a recipient."""


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
    try:
        if s.security == "tls":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                                  context=_context(s))
        else:
            conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            if s.security == "starttls":
                conn.starttls(context=_context(s))
        password = s.password()
        if s.user:
            conn.login(s.user, password or "")
        return conn
    except ssl.SSLCertVerificationError as exc:
        raise DeliveryError(f"the certificate of {s.host}:{s.port} is not trusted "
                            f"({exc.verify_message}); give its CA as smtp.ca_file") from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"{s.host}:{s.port} refused the login of {s.user} "
                            f"({exc.smtp_code})") from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise DeliveryError(f"{s.host}:{s.port} does not offer STARTTLS") from exc
    except TimeoutError as exc:
        raise DeliveryError(f"{s.host}:{s.port} did not answer within {s.timeout:g} s") from exc
    except smtplib.SMTPServerDisconnected as exc:
        if "timed out" in str(exc):  # smtplib's word for a reply that never came
            raise DeliveryError(f"{s.host}:{s.port} did not answer within {s.timeout:g} s"
                                ) from exc
        raise DeliveryError(f"{s.host}:{s.port} closed the connection: {exc}") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"cannot reach {s.host}:{s.port}: {exc}") from exc


def deliver(conn: smtplib.SMTP, message: EmailMessage) -> None:
    """Send one message on an open session.

    Raises
    ------
    DeliveryError
        When the server refuses the message or its recipient, or the session broke.
    """
    try:
        refused = conn.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        raise DeliveryError(f"{message['To']} refused by the server: {code} "
                            f"{text.decode(errors='replace') if isinstance(text, bytes) else text}"
                            ) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"sending to {message['To']} failed: {exc}") from exc
    if refused:
        raise DeliveryError(f"{message['To']} refused by the server: {refused}")
