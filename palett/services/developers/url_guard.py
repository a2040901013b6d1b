"""Where a webhook may be sent: public addresses only (services/common/ssrf holds the rule and the pinned connect).

Checked when a URL is registered and again before every delivery, since DNS can change in between (DNS
rebinding): the delivery then connects to the very address checked here, never to a fresh lookup.
"""

from __future__ import annotations

from palett.services.common import ssrf
from palett.services.common.errors import UserError
from palett.settings import get_settings

MAX_URL_LENGTH = 2000
Target = ssrf.Target


def refuse(detail: str) -> UserError:
    return UserError("invalid_input", field="url", detail=detail)


def check(url: str) -> Target:
    """The URL's target when every address its host resolves to is public; else UserError naming `url`.

    Blocking (a DNS lookup): call it from a thread in async code.
    """
    url = url.strip()
    if not url or len(url) > MAX_URL_LENGTH:
        raise refuse(f"give a URL of at most {MAX_URL_LENGTH} characters")
    settings = get_settings()
    try:
        return ssrf.check(url, schemes=("https",) if settings.production else ("https", "http"),
                          allow_loopback=settings.webhook_allow_loopback and not settings.production)
    except ssrf.Refused as exc:
        detail = str(exc)
        if "private" in detail:
            detail += "; webhooks go to public addresses only"
        raise refuse(detail) from None
