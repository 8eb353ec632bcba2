"""E-mail out: SMTP (plain, STARTTLS or SSL, with or without authentication), or a folder of .eml
files for the demo. Messages are built with Python's ``email`` package (EmailMessage with the SMTP
policy): a Chinese subject becomes an RFC 2047 encoded-word, a Chinese display name is encoded in the
address header, an attachment's Chinese filename uses RFC 2231; text and HTML are alternatives.

The password is used to log in and never appears in an error, a log or a repr.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from pathlib import Path

from ..services.ports import DeliveryError, Email

TIMEOUT = 30.0


def build_message(email: Email, mail_from: str, from_name: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = email.subject
    msg["From"] = _address(from_name, mail_from)
    msg["To"] = _address(email.to_name or "", email.to_address)
    if email.reply_to:
        name, addr = parseaddr(email.reply_to)
        msg["Reply-To"] = _address(name, addr)
    msg["Message-ID"] = email.message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(email.text, charset="utf-8")
    if email.html:
        msg.add_alternative(email.html, subtype="html", charset="utf-8")
    for a in email.attachments:
        main, sub = a.mime.split("/", 1)
        msg.add_attachment(a.content, maintype=main, subtype=sub, filename=a.filename)
    return msg


def _address(name: str, addr: str) -> Address | str:
    try:
        user, domain = addr.rsplit("@", 1)
        return Address(display_name=name, username=user, domain=domain)
    except ValueError:
        return formataddr((name, addr))


class SmtpMailer:
    """One connection reused for a batch; reconnects when the server dropped it."""

    def __init__(self, host: str, port: int, security: str = "none", user: str | None = None,
                 password: str | None = None, mail_from: str = "huikuan@localhost", from_name: str = "",
                 timeout: float = TIMEOUT) -> None:
        self.host, self.port, self.security = host, port, security
        self.user, self._password = user, password
        self.mail_from, self.from_name, self.timeout = mail_from, from_name, timeout
        self._conn: smtplib.SMTP | None = None

    def __repr__(self) -> str:
        return f"SmtpMailer({self.host}:{self.port}, {self.security}, user={self.user!r})"

    def _connect(self) -> smtplib.SMTP:
        ctx = ssl.create_default_context()
        conn: smtplib.SMTP
        if self.security == "ssl":
            conn = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=ctx)
        else:
            conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.security == "starttls":
                conn.starttls(context=ctx)
                conn.ehlo()
        if self.user:
            conn.login(self.user, self._password or "")
        return conn

    def send(self, email: Email) -> str:
        msg = build_message(email, self.mail_from, self.from_name)
        for attempt in (1, 2):
            try:
                if self._conn is None:
                    self._conn = self._connect()
                refused = self._conn.send_message(msg, from_addr=self.mail_from, to_addrs=[email.to_address])
                if refused:
                    code, text = next(iter(refused.values()))
                    raise DeliveryError("smtp.refused", f"{code} {_text(text)}", permanent=True)
                return f"smtp:{email.message_id}"
            except smtplib.SMTPServerDisconnected as e:
                self._drop()
                if attempt == 2:
                    raise DeliveryError("smtp.disconnected", str(e)) from e
            except smtplib.SMTPRecipientsRefused as e:
                code, text = next(iter(e.recipients.values()))
                raise DeliveryError("smtp.refused", f"{code} {_text(text)}",
                                    permanent=code >= 500) from e
            except smtplib.SMTPAuthenticationError as e:
                self._drop()
                raise DeliveryError("smtp.auth", f"{e.smtp_code} authentication failed") from e
            except smtplib.SMTPResponseException as e:
                self._drop()
                raise DeliveryError("smtp.rejected", f"{e.smtp_code} {_text(e.smtp_error)}",
                                    permanent=e.smtp_code >= 500) from e
            except (OSError, smtplib.SMTPException) as e:
                self._drop()
                raise DeliveryError("smtp.unavailable", f"{self.host}:{self.port}: {type(e).__name__}: {e}") from e
        raise DeliveryError("smtp.unavailable", "unreachable")  # pragma: no cover

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
        self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._conn.quit()
        self._conn = None


class FolderMailer:
    """The demo's mail catcher: each e-mail is a .eml file (open it with any mail program)."""

    def __init__(self, folder: str | Path, mail_from: str, from_name: str = "") -> None:
        self.folder = Path(folder)
        self.mail_from, self.from_name = mail_from, from_name

    def send(self, email: Email) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = "".join(c for c in email.message_id if c.isalnum() or c in ".-_")[:120] + ".eml"
        path = self.folder / name
        path.write_bytes(bytes(build_message(email, self.mail_from, self.from_name)))
        return f"file:{path.name}"

    def close(self) -> None:
        pass


def _text(b: bytes | str) -> str:
    return b.decode(errors="replace") if isinstance(b, bytes) else b
