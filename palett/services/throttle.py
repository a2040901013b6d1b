"""Sign-in throttling: only failed attempts count; too many for one account or one IP
inside the window (LOGIN_ATTEMPTS, default 5 per 15 minutes) refuses sign-in with how long to wait.
"""

from __future__ import annotations

from palett.services import ratelimit
from palett.settings import get_settings


def _keys(email: str, ip: str) -> list[str]:
    return [f"login:email:{email.strip().lower()}", f"login:ip:{ip or 'unknown'}"]


def minutes_to_wait(email: str, ip: str) -> int:
    return ratelimit.minutes_until_allowed(get_settings().login_attempts, *_keys(email, ip))


def record_failure(email: str, ip: str) -> None:
    ratelimit.hit(get_settings().login_attempts, *_keys(email, ip))


def reset(email: str) -> None:
    """Forget failures for an account after it signs in or resets its password."""
    ratelimit.clear(get_settings().login_attempts, _keys(email, "")[0])
