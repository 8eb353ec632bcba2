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
import threading
from email import encoders
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formataddr, formatdate, parseaddr
from pathlib import Path

from ..services.ports import DeliveryError, Email

TIMEOUT = 30.0
WIRE = compat32.clone(linesep="\r\n")  # SMTP's CRLF line ends


def build_message(email: Email, mail_from: str, from_name: str) -> Message:
    """The MIME message. Built with the compat32 classes (four times faster than EmailMessage's header
    registry at 10⁴ messages a run): ``Header`` gives the subject's RFC 2047 encoded-words, ``formataddr``
    with a charset the display names', and the attachment's filename is RFC 2231."""
    body: Message
    alt = MIMEMultipart("alternative") if email.html else None
    text = MIMEText(email.text, "plain", "utf-8")
    if alt is not None:
        alt.attach(text)
        alt.attach(MIMEText(email.html or "", "html", "utf-8"))
        body = alt
    else:
        body = text
    if email.attachments:
        outer = MIMEMultipart("mixed")
        outer.attach(body)
        for a in email.attachments:
            main, sub = a.mime.split("/", 1)
            part = MIMEApplication(a.content, _subtype=sub) if main == "application" else MIMEBase(main, sub)
            if main != "application":
                part.set_payload(a.content)
                encoders.encode_base64(part)
            part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", a.filename))
            outer.attach(part)
        msg: Message = outer
    else:
        msg = body
    msg["Subject"] = Header(email.subject, "utf-8")  # type: ignore[assignment]  # compat32 takes a Header
    msg["From"] = formataddr((from_name, mail_from), charset="utf-8")
    msg["To"] = formataddr((email.to_name or "", email.to_address), charset="utf-8")
    if email.reply_to:
        name, addr = parseaddr(email.reply_to)
        msg["Reply-To"] = formataddr((name, addr), charset="utf-8")
    msg["Message-ID"] = email.message_id
    msg["Date"] = formatdate(localtime=False)
    msg["Auto-Submitted"] = "auto-generated"
    return msg


class SmtpMailer:
    """A small pool of SMTP connections, each reused for many messages and reopened when the server
    dropped it. ``send`` may be called from several threads at once (up to ``parallel`` connections):
    the sender spreads a batch over them, since one connection waits on the server's reply to each
    command in turn."""

    def __init__(self, host: str, port: int, security: str = "none", user: str | None = None,
                 password: str | None = None, mail_from: str = "huikuan@localhost", from_name: str = "",
                 timeout: float = TIMEOUT, connections: int = 4) -> None:
        self.host, self.port, self.security = host, port, security
        self.user, self._password = user, password
        self.mail_from, self.from_name, self.timeout = mail_from, from_name, timeout
        self.parallel = max(1, connections)
        self._idle: list[smtplib.SMTP] = []
        self._lock = threading.Lock()

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

    def _take(self) -> smtplib.SMTP | None:
        with self._lock:
            return self._idle.pop() if self._idle else None

    def _give_back(self, conn: smtplib.SMTP) -> None:
        with self._lock:
            self._idle.append(conn)

    def send(self, email: Email) -> str:
        data = build_message(email, self.mail_from, self.from_name).as_bytes(policy=WIRE)
        conn: smtplib.SMTP | None = None
        for attempt in (1, 2):
            try:
                conn = self._take() or self._connect()
                refused = conn.sendmail(self.mail_from, [email.to_address], data)
                self._give_back(conn)
                if refused:
                    code, text = next(iter(refused.values()))
                    raise DeliveryError("smtp.refused", f"{code} {_text(text)}", permanent=True)
                return f"smtp:{email.message_id}"
            except smtplib.SMTPServerDisconnected as e:
                _close(conn)
                conn = None
                if attempt == 2:
                    raise DeliveryError("smtp.disconnected", str(e)) from e
            except smtplib.SMTPRecipientsRefused as e:
                if conn is not None:
                    self._give_back(conn)  # the connection is fine; this recipient is not
                code, text = next(iter(e.recipients.values()))
                raise DeliveryError("smtp.refused", f"{code} {_text(text)}",
                                    permanent=code >= 500) from e
            except smtplib.SMTPAuthenticationError as e:
                _close(conn)
                raise DeliveryError("smtp.auth", f"{e.smtp_code} authentication failed") from e
            except smtplib.SMTPResponseException as e:
                _close(conn)
                raise DeliveryError("smtp.rejected", f"{e.smtp_code} {_text(e.smtp_error)}",
                                    permanent=e.smtp_code >= 500) from e
            except (OSError, smtplib.SMTPException) as e:
                _close(conn)
                raise DeliveryError("smtp.unavailable", f"{self.host}:{self.port}: {type(e).__name__}: {e}") from e
        raise DeliveryError("smtp.unavailable", "unreachable")  # pragma: no cover

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                conn.quit()


def _close(conn: smtplib.SMTP | None) -> None:
    if conn is not None:
        with contextlib.suppress(OSError):
            conn.close()


class FolderMailer:
    """The demo's mail catcher: each e-mail is a .eml file (open it with any mail program)."""

    parallel = 1

    def __init__(self, folder: str | Path, mail_from: str, from_name: str = "") -> None:
        self.folder = Path(folder)
        self.mail_from, self.from_name = mail_from, from_name

    def send(self, email: Email) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = "".join(c for c in email.message_id if c.isalnum() or c in ".-_")[:120] + ".eml"
        path = self.folder / name
        path.write_bytes(build_message(email, self.mail_from, self.from_name).as_bytes())
        return f"file:{path.name}"

    def close(self) -> None:
        pass


def _text(b: bytes | str) -> str:
    return b.decode(errors="replace") if isinstance(b, bytes) else b
