"""The session cookie's name and how its token travels hashed (services side: no web framework here).

API routes set and clear the cookie (palett/api/cookies.py); an ASGI wrapper swaps the token for its
sha256 before Reflex sees the websocket's headers, so the states read only the hash.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

from palett.services.accounts.security import token_hash
from palett.settings import get_settings

HINT_COOKIE = "palett_signed_in"


def cookie_name() -> str:
    # __Host- stops a page script from shadowing the cookie on a narrower path.
    return "__Host-palett_session" if get_settings().secure_cookies else "palett_session"


def hint_cookie_name() -> str:
    """A cookie that only says "someone is signed in here", readable by the page before it has any state: the
    header leaves out "Sign in"/"Get started" until the session is checked (palett/components/layout.py)."""
    return f"__Host-{HINT_COOKIE}" if get_settings().secure_cookies else HINT_COOKIE


def hashed_from_cookie_header(header: str) -> str:
    """The session hash as the Reflex state sees it (after hash_session_token)."""
    jar = SimpleCookie()
    try:
        jar.load(header or "")
    except Exception:
        return ""
    morsel = jar.get(cookie_name())
    return morsel.value if morsel else ""


def hash_session_token(header: str) -> str:
    """A Cookie header with the session token replaced by its hash (other cookies untouched)."""
    name = cookie_name()
    parts = []
    for part in header.split(";"):
        k, sep, v = part.strip().partition("=")
        if k == name:
            v = token_hash(v)
        parts.append(f"{k}{sep}{v}")
    return "; ".join(parts)
