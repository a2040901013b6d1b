"""Who an OAuth identity signs in as: the linking rules.

1. A known (provider, account id) signs in its user.
2. A signed-in user connecting a provider links it to themselves.
3. A provider-verified email matching an account links to that account. If that
   account had never verified its email, its password and sessions are dropped:
   whoever set them never proved they own the address.
4. An unverified email never takes over an existing account.
5. Otherwise a new account is made, with the sign-up credits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session as DB
from sqlmodel import select

from palett.models import Account, User, utcnow
from palett.services.accounts import sessions
from palett.services.accounts import users as accounts
from palett.services.common.errors import UserError
from palett.settings import Settings

PROVIDER_NAMES = {"google": "Google", "github": "GitHub"}


def enabled_providers(settings: Settings) -> list[str]:
    """The OAuth providers whose keys are set (the sign-in buttons and routes that exist)."""
    return [p for p, on in (("google", settings.google_enabled), ("github", settings.github_enabled)) if on]


@dataclass(frozen=True)
class Identity:
    provider: str
    account_id: str
    email: str | None
    email_verified: bool
    name: str = ""
    image: str | None = None

    @property
    def provider_name(self) -> str:
        return PROVIDER_NAMES.get(self.provider, self.provider)


def sign_in(db: DB, identity: Identity, *, current_user: User | None = None) -> User:
    linked = db.exec(
        select(Account).where(
            Account.provider == identity.provider, Account.provider_account_id == identity.account_id
        )
    ).first()
    if linked is not None:
        if current_user is not None and current_user.id != linked.user_id:
            raise UserError("oauth_taken", provider=identity.provider_name)
        user = db.get(User, linked.user_id)
        if user is None:
            raise UserError("oauth_failed", provider=identity.provider_name)
        return _enabled(user)
    if current_user is not None:
        _link(db, current_user, identity)
        return current_user

    if not identity.email:
        raise UserError("oauth_no_email", provider=identity.provider_name)
    email = accounts.normalize_email(identity.email)
    existing = accounts.by_email(db, email)
    if existing is not None:
        if not identity.email_verified:
            raise UserError("oauth_unverified_email", provider=identity.provider_name)
        _enabled(existing)
        if not existing.email_verified:
            assert existing.id is not None
            existing.password_hash = None
            sessions.revoke_all(db, existing.id)
            existing.email_verified = True
            existing.updated_at = utcnow()
            db.add(existing)
        _link(db, existing, identity)
        return existing
    if not identity.email_verified:
        raise UserError("oauth_no_email", provider=identity.provider_name)
    user = accounts.create_user(db, email=email, name=identity.name, verified=True, image=identity.image)
    _link(db, user, identity)
    return user


def unlink(db: DB, user: User, provider: str) -> None:
    links = accounts.linked_accounts(db, user.id or 0)
    target = [a for a in links if a.provider == provider]
    if not target:
        return
    if not user.password_hash and len(links) <= 1:
        raise UserError("last_login_method")
    for account in target:
        db.delete(account)


def _link(db: DB, user: User, identity: Identity) -> None:
    assert user.id is not None
    db.add(Account(user_id=user.id, provider=identity.provider,
                   provider_account_id=identity.account_id, email=identity.email))
    if identity.image and not user.image:
        user.image = identity.image
        db.add(user)
    db.flush()


def _enabled(user: User) -> User:
    if user.disabled:
        raise UserError("disabled")
    return user
