"""Handing one e-mail to a mail server (stdlib smtplib), or to the development mailbox.

`SmtpTransport.send` raises `SendError` with `permanent=True` when the server refused for good
(a 5xx answer, e.g. 550 for an unknown mailbox: retrying cannot help) and `permanent=False` for
what may pass later (connection refused or dropped, a timeout, a 4xx answer). The reason is a
sentence for the admin; the recipient's address is replaced by "the recipient" in it, since the
database keeps no address in clear.

`MailboxTransport` (no SMTP server configured: `make run`, development) writes each message as
an `.eml` file (0600) in `<data dir>/mailbox/<institution>/`, which admins read at
`/admin/mailbox`; the log says a message was kept there, never the link in it.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import ssl
import time
import uuid
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Protocol

from issuer.data_folder import private_dir
from issuer.delivery.mail_settings import MailSettings
from verifier.errors import MedCredError

log = logging.getLogger(__name__)
MAILBOX = "mailbox"
INSTITUTION_HEADER = "X-MedCred-Institution"
"""Set on messages kept in the development mailbox only (which institution's admins may read it)."""


class SendError(MedCredError):
    """The message was not accepted; `permanent`: retrying will not help."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.permanent = permanent


class Transport(Protocol):
    def send(self, message: EmailMessage, institution: str) -> None:
        """Deliver `message` (To, From, Subject set); SendError if not accepted."""


def _scrub(text: str, address: str) -> str:
    return text.replace(address, "the recipient") if address else text


class SmtpTransport:
    """One SMTP connection per message: STARTTLS, implicit TLS or plain (loopback relays)."""

    def __init__(self, settings: MailSettings) -> None:
        assert settings.host is not None
        self.settings = settings

    def _connect(self) -> smtplib.SMTP:
        """A connected (and logged-in) client; SendError (temporary) if not."""
        s = self.settings
        assert s.host is not None
        context = ssl.create_default_context()
        try:
            if s.tls == "tls":
                client: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.tls == "starttls":
                    client.starttls(context=context)
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"The mail server cannot be reached: {_describe(exc)}", permanent=False) from None
        if s.user:
            try:
                client.login(s.user, s.password or "")
            except (OSError, smtplib.SMTPException) as exc:
                client.close()
                code = f" ({exc.smtp_code})" if isinstance(exc, smtplib.SMTPResponseException) else ""
                raise SendError(
                    f"The mail server refused the login{code}; check MEDCRED_SMTP_USER and the password.",
                    permanent=False,
                ) from None
        return client

    def send(self, message: EmailMessage, institution: str) -> None:
        address = str(message["To"] or "")
        client = self._connect()
        try:
            client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()), (0, b""))
            reason = _scrub(_decode(text), address)
            raise SendError(
                f"The mail server refused the address: {code} {reason}".strip(), permanent=code >= 500
            ) from None
        except smtplib.SMTPResponseException as exc:
            reason = _scrub(_decode(exc.smtp_error), address)
            raise SendError(
                f"The mail server refused the message: {exc.smtp_code} {reason}".strip(),
                permanent=exc.smtp_code >= 500,
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"Sending was interrupted: {_describe(exc)}", permanent=False) from None
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()


def _decode(text: bytes | str) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused."
    if isinstance(exc, socket.timeout | TimeoutError):
        return "no answer in time."
    if isinstance(exc, socket.gaierror):
        return "its name does not resolve."
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed ({exc.reason})."
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "it closed the connection."
    return f"{type(exc).__name__}."


class MailboxTransport:
    """Keeps messages as files in the data folder (development: no mail server)."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = Path(data_dir) / MAILBOX

    def send(self, message: EmailMessage, institution: str) -> None:
        message[INSTITUTION_HEADER] = institution
        folder = private_dir(self.folder / institution)
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.eml"
        fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(message.as_bytes())
        log.info("Development mailbox: kept an e-mail for %s (see /admin/mailbox).", institution)

    def messages(self, institution: str, limit: int = 50) -> list[EmailMessage]:
        """The institution's kept messages, newest first."""
        folder = self.folder / institution
        if not folder.is_dir():
            return []
        parser = BytesParser(policy=default_policy)
        files = sorted(folder.glob("*.eml"), reverse=True)[:limit]
        return [parser.parsebytes(f.read_bytes()) for f in files]  # type: ignore[misc]


def transport_for(settings: MailSettings, data_dir: Path) -> SmtpTransport | MailboxTransport:
    return MailboxTransport(data_dir) if settings.development else SmtpTransport(settings)
