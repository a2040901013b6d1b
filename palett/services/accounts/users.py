"""Accounts: sign-up, e-mail verification, password sign-in and reset, profile, deletion."""

from __future__ import annotations

import logging
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, update
from sqlmodel import Session as DB
from sqlmodel import col, select

from palett.models import (
    Account,
    Collection,
    CollectionImage,
    CreditTransaction,
    GeneratedImage,
    ImageLike,
    Job,
    Purchase,
    Role,
    Session,
    TokenPurpose,
    UsageLog,
    User,
    VerificationToken,
    utcnow,
)
from palett.services.accounts import mailer, sessions, throttle, tokens
from palett.services.accounts.return_path import next_query
from palett.services.accounts.security import hash_password, password_is_weak, verify_and_update, verify_password
from palett.services.billing import credits, subscriptions
from palett.services.common.db import after_commit
from palett.services.common.errors import UserError
from palett.services.media.storage import get_storage
from palett.settings import get_settings

log = logging.getLogger(__name__)


def normalize_email(email: str) -> str:
    try:
        return validate_email((email or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise UserError("invalid_email") from exc


def check_new_password(password: str, confirm: str | None = None) -> None:
    if confirm is not None and password != confirm:
        raise UserError("password_mismatch")
    if password_is_weak(password or ""):
        raise UserError("weak_password")


def clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if len(name) > 80:
        raise UserError("name_invalid")
    return name


def by_email(db: DB, email: str) -> User | None:
    return db.exec(select(User).where(User.email == email)).first()


def create_user(db: DB, *, email: str, name: str = "", verified: bool = False, image: str | None = None,
                password: str | None = None) -> User:
    """Insert a user and grant the sign-up credits as a ledger entry."""
    settings = get_settings()
    user = User(
        email=email,
        name=name or email.split("@")[0],
        email_verified=verified,
        image=image,
        password_hash=hash_password(password) if password else None,
        credits=0,
        role=Role.admin if email in settings.admin_email_set else Role.user,
    )
    db.add(user)
    db.flush()
    assert user.id is not None
    credits.apply(db, user_id=user.id, delta=settings.signup_credits, kind=credits.Kind.grant,
                  idempotency_key=f"signup:{user.id}", reference="Welcome credits")
    db.refresh(user)
    return user


def sign_up(db: DB, *, email: str, password: str, name: str = "", ip: str = "", next_path: str | None = None
            ) -> None:
    """Create an account and mail its verification link (which leads on to `next_path` once signed in).

    For an address that already has an account the caller sees the same outcome; the owner gets a
    note instead, so sign-up can't be used to find out who has an account.
    """
    email = normalize_email(email)
    check_new_password(password)
    name = clean_name(name)
    throttle.signup(email, ip)
    existing = by_email(db, email)
    if existing is not None:
        hash_password(password)  # the same slow step as a real sign-up: timing tells nothing either
        if not existing.disabled:
            _send_already_registered(existing, next_path)
        return
    user = create_user(db, email=email, name=name, password=password)
    # Sent inside the transaction: if mail fails, no half-made account is left behind.
    send_verification(db, user, next_path)


def _send_already_registered(user: User, next_path: str | None = None) -> None:
    url = get_settings().public_url
    mailer.send(
        user.email,
        "Someone tried to sign up to Palett AI with your address",
        f"Hi {user.name},\n\nSomeone (hopefully you) tried to create a Palett AI account with this address, "
        f"but you already have one. Sign in here:\n{url}/signin{next_query(next_path)}\n\n"
        f"Forgot your password? Reset it here:\n{url}/forgot\n\n"
        "If it wasn't you, ignore this email: nothing has changed.\n",
    )


def send_verification(db: DB, user: User, next_path: str | None = None) -> None:
    assert user.id is not None
    settings = get_settings()
    token = tokens.issue(db, user_id=user.id, purpose=TokenPurpose.verify_email,
                         ttl=timedelta(hours=settings.verify_token_hours))
    mailer.send(
        user.email,
        "Verify your email for Palett AI",
        f"Hi {user.name},\n\nConfirm your email address to start creating:\n"
        f"{settings.public_url}/verify?token={token}{next_query(next_path, '&')}\n\n"
        f"The link works once and expires in {settings.verify_token_hours} hours.\n",
    )


def resend_verification(db: DB, email: str, ip: str = "", next_path: str | None = None) -> None:
    """Send a fresh link to an unverified account; silent for anything else (but limited all the same)."""
    try:
        email = normalize_email(email)
    except UserError:
        return
    throttle.mail_request(email, ip)
    user = by_email(db, email)
    if user is not None and not user.email_verified and not user.disabled:
        send_verification(db, user, next_path)


def verify_email(db: DB, token: str) -> User:
    user_id = tokens.consume(db, token=token, purpose=TokenPurpose.verify_email)
    user = db.get(User, user_id)
    if user is None:
        raise UserError("token_invalid")
    user.email_verified = True
    user.updated_at = utcnow()
    db.add(user)
    return user


def authenticate(db: DB, *, email: str, password: str, ip: str) -> User:
    """Check a password sign-in. The attempt is counted before the password is checked."""
    try:
        email, valid = normalize_email(email), True
    except UserError:
        email, valid = (email or "").strip().lower(), False
    throttle.login(email, ip)
    if not valid:
        raise UserError("bad_credentials")
    user = by_email(db, email)
    matches, rehashed = verify_and_update(password or "", user.password_hash if user else None)
    if user is None or not matches:
        raise UserError("bad_credentials")
    if rehashed:
        user.password_hash = rehashed
        db.add(user)
    if user.disabled:
        raise UserError("disabled")
    if not user.email_verified:
        raise UserError("unverified")
    throttle.reset(email)
    return user


def request_reset(db: DB, email: str, ip: str = "") -> None:
    """Mail a reset link if the account exists; the answer (and the limit) is the same either way."""
    try:
        email = normalize_email(email)
    except UserError:
        return
    throttle.mail_request(email, ip)
    user = by_email(db, email)
    if user is None or user.disabled:
        return
    assert user.id is not None
    settings = get_settings()
    token = tokens.issue(db, user_id=user.id, purpose=TokenPurpose.reset_password,
                         ttl=timedelta(minutes=settings.reset_token_minutes))
    mailer.send(
        user.email,
        "Reset your Palett AI password",
        f"Hi {user.name},\n\nSomeone (hopefully you) asked to reset your password. Choose a new one here:\n"
        f"{settings.public_url}/reset?token={token}\n\n"
        f"The link works once and expires in {settings.reset_token_minutes} minutes. "
        "If you didn't ask, ignore this email.\n",
    )


def reset_password(db: DB, *, token: str, password: str, confirm: str) -> User:
    check_new_password(password, confirm)
    user_id = tokens.consume(db, token=token, purpose=TokenPurpose.reset_password)
    user = db.get(User, user_id)
    if user is None:
        raise UserError("token_invalid")
    _set_password(db, user, password)
    # The link proved control of the inbox.
    user.email_verified = True
    sessions.revoke_all(db, user_id)
    throttle.reset(user.email)
    return user


def change_password(db: DB, user: User, *, current: str, new: str, confirm: str, keep_session_id: int) -> None:
    if user.password_hash and not verify_password(current or "", user.password_hash):
        raise UserError("wrong_password")
    check_new_password(new, confirm)
    _set_password(db, user, new)
    assert user.id is not None
    sessions.revoke_all(db, user.id, except_id=keep_session_id)


def _set_password(db: DB, user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.updated_at = utcnow()
    db.add(user)


def update_profile(db: DB, user: User, *, name: str) -> None:
    name = clean_name(name)
    if not name:
        raise UserError("name_invalid")
    user.name = name
    user.updated_at = utcnow()
    db.add(user)


def linked_accounts(db: DB, user_id: int) -> list[Account]:
    return list(db.exec(select(Account).where(Account.user_id == user_id)))


def delete_account(db: DB, user: User, *, confirmation: str) -> None:
    """Remove the user and every row that belongs to them, after cancelling a live subscription in Stripe.

    Stripe's customer.subscription.deleted webhook that follows finds no user and is ignored."""
    if confirmation.strip() != "DELETE":
        raise UserError("confirm_delete")
    uid = user.id
    assert uid is not None
    subscriptions.cancel_before_deletion(user)  # first: if Stripe can't be told, nothing is deleted
    # Likes this user gave to other people's public images go away with them.
    for image_id in db.exec(select(ImageLike.image_id).where(ImageLike.user_id == uid)).all():
        db.execute(update(GeneratedImage).where(col(GeneratedImage.id) == image_id, col(GeneratedImage.likes) > 0)
                   .values(likes=col(GeneratedImage.likes) - 1))
    owned_collections = select(Collection.id).where(Collection.user_id == uid)
    db.execute(delete(CollectionImage).where(col(CollectionImage.collection_id).in_(owned_collections)))
    for table in (Session, VerificationToken, Account, ImageLike, GeneratedImage, Collection, Job, CreditTransaction,
                  Purchase, UsageLog):
        db.execute(delete(table).where(col(table.user_id) == uid))  # type: ignore[attr-defined]
    db.execute(delete(User).where(col(User.id) == uid))
    after_commit(db, lambda: get_storage().delete_user(uid))
    log.info("deleted account %s", uid)
