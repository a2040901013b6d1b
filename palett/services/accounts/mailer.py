"""Outgoing mail: SMTP when configured, otherwise a dev outbox of JSON files under data/outbox/."""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import smtplib
import ssl
import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from email.message import EmailMessage
from pathlib import Path

from palett.models import utcnow
from palett.settings import get_settings

log = logging.getLogger(__name__)
_LINK = re.compile(r"https?://\S+")
# A request that came through a proxy: its peer address is the proxy's, not the reader's.
_FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


@dataclass
class Mail:
    to: str
    subject: str
    text: str
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    sent_at: str = field(default_factory=lambda: utcnow().isoformat(timespec="seconds"))
    # A field, not a property, so the dev outbox page can show it (Reflex sends a dataclass's fields only).
    links: list[str] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.links = _LINK.findall(self.text)


def send(to: str, subject: str, text: str) -> Mail:
    settings = get_settings()
    mail = Mail(to=to, subject=subject, text=text)
    if settings.smtp_host:
        _send_smtp(mail)
    else:
        _write_outbox(mail, settings.outbox_dir)
    return mail


def _send_smtp(mail: Mail) -> None:
    settings = get_settings()
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg.set_content(mail.text)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(msg)
    log.info("mail sent to %s: %s", mail.to, mail.subject)


def _write_outbox(mail: Mail, outbox: Path) -> None:
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{time.time_ns()}-{mail.id}.json"  # sorts by send time
    path.write_text(json.dumps(asdict(mail), indent=2))
    log.info("mail written to outbox %s: %s", path, mail.subject)


def outbox_open_to(peer: str, headers: Mapping[str, str]) -> bool:
    """The dev outbox holds live verification and reset links: anyone who reads it can take over any
    account. Only a browser on this machine (a loopback peer, not relayed by a proxy) may read it,
    and never in production mode."""
    if get_settings().production or any(name in headers for name in _FORWARDING_HEADERS):
        return False
    try:
        return ipaddress.ip_address(peer).is_loopback
    except ValueError:
        return False


def outbox(limit: int = 50) -> list[Mail]:
    """Newest first. Only used by the dev outbox page."""
    folder = get_settings().outbox_dir
    if not folder.exists():
        return []
    files = sorted(folder.glob("*.json"), reverse=True)[:limit]
    stored = [json.loads(p.read_text()) for p in files]
    return [Mail(**{f.name: mail[f.name] for f in fields(Mail) if f.init and f.name in mail}) for mail in stored]
