"""Limits on the account endpoints, each counted before the work it guards (one atomic hit).

- sign-in: LOGIN_ATTEMPTS (default 5 per 15 minutes) per account and LOGIN_ATTEMPTS_PER_IP (30).
  Every attempt counts, so a burst of parallel guesses gets exactly that many password checks;
  a successful sign-in forgets the account's count. The IP's count keeps successes too (a hit
  can't be taken back), hence its larger budget: people behind one NAT sign in all day.
- sign-up: SIGNUP_LIMIT_PER_IP.
- mail anyone can trigger (sign-up, resend verification, forgot password): MAIL_LIMIT_PER_ADDRESS
  per recipient, so an inbox can't be flooded, and MAIL_LIMIT_PER_IP for resend and forgot.

A refused attempt raises UserError("throttled") with the minutes to wait. The limit is the same
whether or not an account exists, so the answer tells nothing about who has one.
"""

from __future__ import annotations

from palett.services.common import ratelimit
from palett.services.common.errors import UserError
from palett.settings import get_settings


def _address(email: str) -> str:
    return email.strip().lower()


def _check(spec: str, *keys: str) -> None:
    wait = ratelimit.hit(spec, *keys)
    if wait:
        raise UserError("throttled", minutes=wait)


def login(email: str, ip: str) -> None:
    settings = get_settings()
    _check(settings.login_attempts, f"login:email:{_address(email)}")
    _check(settings.login_attempts_per_ip, f"login:ip:{ip or 'unknown'}")


def signup(email: str, ip: str) -> None:
    settings = get_settings()
    _check(settings.signup_limit_per_ip, f"signup:ip:{ip or 'unknown'}")
    _check(settings.mail_limit_per_address, f"mail:to:{_address(email)}")


def mail_request(email: str, ip: str) -> None:
    """Resend verification or forgot password."""
    settings = get_settings()
    _check(settings.mail_limit_per_ip, f"mail:ip:{ip or 'unknown'}")
    _check(settings.mail_limit_per_address, f"mail:to:{_address(email)}")


def reset(email: str) -> None:
    """Forget sign-in attempts on an account after it signs in or resets its password."""
    ratelimit.clear(get_settings().login_attempts, f"login:email:{_address(email)}")
