"""Where sign-in sends someone back to (`next`): only a path on this site, checked at every hop.

A return address arrives from a query string, a form field, a mail link or the OAuth state, so it is
attacker-controlled each time. Anything that a browser could read as another site (`//host`, `/\\host`,
a scheme, a percent-encoded slash or backslash, control characters) or that is not a page of the app is
refused, and the caller falls back to HOME.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

HOME = "/app"
MAX_LENGTH = 300  # a remix link is ~90; anything far longer is not one of our pages
# Pages that would loop back into sign-in, or are not pages at all (the form posts and OAuth live under /api).
_REFUSED_PREFIXES = ("/api/", "/signin", "/signup", "/verify", "/reset", "/forgot", "/_")
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")  # control characters, whitespace and backslashes


def safe_next(value: object) -> str | None:
    """The value if it is a same-site page path to return to after sign-in, else None."""
    if not isinstance(value, str) or not 1 < len(value) <= MAX_LENGTH:
        return None
    for form in (value, unquote(value)):  # %2F%2F and %5C are refused like // and \
        if not form.startswith("/") or form.startswith("//") or _UNSAFE.search(form):
            return None
        parts = urlsplit(form)
        if parts.scheme or parts.netloc:
            return None
    path = urlsplit(value).path
    if any(path == p.rstrip("/") or path.startswith(p) for p in _REFUSED_PREFIXES):
        return None
    return value


def return_to(value: object) -> str:
    """Where to land after signing in: the checked `next`, or HOME."""
    return safe_next(value) or HOME


def next_query(value: object, sep: str = "?") -> str:
    """`?next=…` for a link that carries a checked return address on, or "" when there is none."""
    checked = safe_next(value)
    return f"{sep}next={quote(checked, safe='')}" if checked else ""
