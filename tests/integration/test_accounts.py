"""Account services on SQLite and PostgreSQL: sign-up, verification, sign-in, reset, deletion."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from palett.models import Account, CreditTransaction, Session, TokenPurpose, User, VerificationToken, utcnow
from palett.services.accounts import mailer, sessions, tokens
from palett.services.accounts import users as accounts
from palett.services.accounts.security import token_hash
from palett.services.billing import credits
from palett.services.common.errors import UserError

PW = "violet-otter-lamp-42"


def last_link(kind: str) -> str:
    mail = mailer.outbox()[0]
    match = re.search(rf"/{kind}\?token=(\S+)", mail.text)
    assert match, mail.text
    return match.group(1)


def make_verified(db, email="ada@example.com") -> User:
    with db() as s:
        accounts.sign_up(s, email=email, password=PW, name="Ada")
    with db() as s:
        return accounts.verify_email(s, last_link("verify"))


def test_sign_up_grants_ten_credits_as_a_ledger_entry_and_mails_a_link(db):
    with db() as s:
        accounts.sign_up(s, email="  Ada@Example.COM ", password=PW, name="Ada")
    with db() as s:
        (stored,) = s.exec(select(User)).all()
        assert stored.email == "ada@example.com" and not stored.email_verified
        assert stored.credits == 10 == credits.ledger_sum(s, stored.id)
        (entry,) = s.exec(select(CreditTransaction).where(CreditTransaction.user_id == stored.id)).all()
        assert entry.kind == "grant" and entry.balance_after == 10
    mail = mailer.outbox()[0]
    assert mail.to == "ada@example.com" and "/verify?token=" in mail.text


@pytest.mark.parametrize(
    ("email", "password", "code"),
    [("not-an-email", PW, "invalid_email"), ("a@b", PW, "invalid_email"), ("ok@example.com", "short", "weak_password"),
     ("ok@example.com", "password1234", "weak_password")],
)
def test_bad_sign_up_input_leaves_nothing_behind(db, email, password, code):
    with pytest.raises(UserError) as err, db() as s:
        accounts.sign_up(s, email=email, password=password)
    assert err.value.code == code
    with db() as s:
        assert s.exec(select(func.count()).select_from(User)).one() == 0


def test_sign_up_with_a_taken_email_mails_the_owner_and_changes_nothing(db):
    make_verified(db)
    with db() as s:
        accounts.sign_up(s, email="ADA@example.com", password="another-password-9", name="Mallory")
    with db() as s:
        (user,) = s.exec(select(User)).all()
        assert (user.name, user.credits) == ("Ada", 10)
        assert accounts.authenticate(s, email="ada@example.com", password=PW, ip="3.3.3.3").id == user.id
    note = mailer.outbox()[0]
    assert note.to == "ada@example.com" and "already have one" in note.text
    assert "token=" not in note.text and note.links == ["http://localhost:3000/signin", "http://localhost:3000/forgot"]


def test_failed_mail_rolls_back_the_account(db, monkeypatch):
    def boom(*_a, **_k):
        raise OSError("smtp down")

    monkeypatch.setattr(mailer, "send", boom)
    with pytest.raises(OSError), db() as s:
        accounts.sign_up(s, email="ada@example.com", password=PW)
    with db() as s:
        assert s.exec(select(func.count()).select_from(User)).one() == 0


def test_unverified_account_cannot_sign_in(db):
    with db() as s:
        accounts.sign_up(s, email="ada@example.com", password=PW)
    with pytest.raises(UserError) as err, db() as s:
        accounts.authenticate(s, email="ada@example.com", password=PW, ip="1.1.1.1")
    assert err.value.code == "unverified"


def test_verify_link_is_single_use(db):
    with db() as s:
        accounts.sign_up(s, email="ada@example.com", password=PW)
    token = last_link("verify")
    with db() as s:
        assert accounts.verify_email(s, token).email_verified
    with pytest.raises(UserError) as err, db() as s:
        accounts.verify_email(s, token)
    assert err.value.code == "token_invalid"


def test_expired_forged_and_wrong_purpose_tokens_fail(db):
    user = make_verified(db)
    with db() as s:
        raw = tokens.issue(s, user_id=user.id, purpose=TokenPurpose.verify_email, ttl=timedelta(hours=24))
        row = s.exec(select(VerificationToken).where(VerificationToken.token_hash == token_hash(raw))).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        s.add(row)
    for token, purpose, code in [
        (raw, TokenPurpose.verify_email, "token_expired"),
        ("forged-" + raw, TokenPurpose.verify_email, "token_invalid"),
        (raw, TokenPurpose.reset_password, "token_invalid"),
    ]:
        with pytest.raises(UserError) as err, db() as s:
            tokens.consume(s, token=token, purpose=purpose)
        assert err.value.code == code


def test_sign_in_wrong_password_and_throttle(db):
    make_verified(db)
    for _ in range(5):
        with pytest.raises(UserError) as err, db() as s:
            accounts.authenticate(s, email="ada@example.com", password="wrong-password!", ip="2.2.2.2")
        assert err.value.code == "bad_credentials"
    with pytest.raises(UserError) as err, db() as s:
        accounts.authenticate(s, email="ada@example.com", password=PW, ip="2.2.2.3")
    assert err.value.code == "throttled" and err.value.params["minutes"] >= 14


def test_sign_in_works_for_verified_user(db):
    user = make_verified(db)
    with db() as s:
        assert accounts.authenticate(s, email="ADA@example.com", password=PW, ip="3.3.3.3").id == user.id


def test_sign_in_upgrades_a_hash_made_with_old_argon2_parameters(db):
    from pwdlib.hashers.argon2 import Argon2Hasher

    user = make_verified(db)
    with db() as s:
        stored = s.get(User, user.id)
        stored.password_hash = Argon2Hasher(time_cost=3, memory_cost=65536, parallelism=4).hash(PW)
        s.add(stored)
    with db() as s:
        accounts.authenticate(s, email="ada@example.com", password=PW, ip="1.2.3.4")
    with db() as s:
        upgraded = s.get(User, user.id).password_hash
        assert upgraded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    with db() as s:
        assert accounts.authenticate(s, email="ada@example.com", password=PW, ip="1.2.3.4").id == user.id


def test_reset_password_changes_it_and_signs_out_everywhere(db):
    user = make_verified(db)
    with db() as s:
        sessions.create(s, user.id)
        accounts.request_reset(s, "ada@example.com")
    token = last_link("reset")
    with pytest.raises(UserError) as err, db() as s:
        accounts.reset_password(s, token=token, password="new-password-99x", confirm="different-99x")
    assert err.value.code == "password_mismatch"
    with db() as s:  # a failed attempt did not burn the link
        accounts.reset_password(s, token=token, password="new-password-99x", confirm="new-password-99x")
    with db() as s:
        assert sessions.active(s, user.id) == []
        assert accounts.authenticate(s, email="ada@example.com", password="new-password-99x", ip="4.4.4.4")
    with pytest.raises(UserError), db() as s:
        accounts.reset_password(s, token=token, password="another-pass-77", confirm="another-pass-77")


def test_reset_for_unknown_email_sends_nothing(db):
    with db() as s:
        accounts.request_reset(s, "nobody@example.com")
    assert mailer.outbox() == []


def test_change_password_needs_current_and_keeps_this_session(db):
    user = make_verified(db)
    with db() as s:
        sessions.create(s, user.id)
        sessions.create(s, user.id)
        mine = sessions.active(s, user.id)[0]
    with pytest.raises(UserError) as err, db() as s:
        accounts.change_password(s, s.get(User, user.id), current="nope-nope-nope", new="fresh-pass-123x",
                                 confirm="fresh-pass-123x", keep_session_id=mine.id)
    assert err.value.code == "wrong_password"
    with db() as s:
        accounts.change_password(s, s.get(User, user.id), current=PW, new="fresh-pass-123x",
                                 confirm="fresh-pass-123x", keep_session_id=mine.id)
    with db() as s:
        assert [x.id for x in sessions.active(s, user.id)] == [mine.id]


def test_sessions_revoke_only_own(db):
    a = make_verified(db, "a@example.com")
    b = make_verified(db, "b@example.com")
    with db() as s:
        token_a = sessions.create(s, a.id)
        sessions.create(s, b.id)
        sid_a = sessions.active(s, a.id)[0].id
        assert not sessions.revoke(s, user_id=b.id, session_id=sid_a)
        assert sessions.lookup(s, token_hash(token_a))
        assert sessions.revoke(s, user_id=a.id, session_id=sid_a)
        assert sessions.lookup(s, token_hash(token_a)) is None


def test_disabled_user_session_stops_working(db):
    user = make_verified(db)
    with db() as s:
        token = sessions.create(s, user.id)
        u = s.get(User, user.id)
        u.disabled = True
        s.add(u)
    with db() as s:
        assert sessions.lookup(s, token_hash(token)) is None


def test_delete_account_removes_every_row(db):
    user = make_verified(db)
    with db() as s:
        sessions.create(s, user.id)
        s.add(Account(user_id=user.id, provider="github", provider_account_id="1"))
    with pytest.raises(UserError), db() as s:
        accounts.delete_account(s, s.get(User, user.id), confirmation="delete")
    with db() as s:
        accounts.delete_account(s, s.get(User, user.id), confirmation="DELETE")
    with db() as s:
        for table in (User, Session, Account, CreditTransaction, VerificationToken):
            assert s.exec(select(func.count()).select_from(table)).one() == 0, table


def test_delete_account_removes_stored_files_and_likes_given(db):
    from palett.models import GeneratedImage
    from palett.services.library import gallery
    from palett.services.media.storage import get_storage, new_key

    liker = make_verified(db, "liker@example.com")
    owner = make_verified(db, "owner@example.com")
    key = new_key(liker.id, "png")
    get_storage().put(key, b"\x89PNG mine", "image/png")
    with db() as s:
        s.add(GeneratedImage(user_id=liker.id, image_url=key))
        public = GeneratedImage(user_id=owner.id, image_url=new_key(owner.id, "png"), is_public=True,
                                share_token="t" * 22)
        s.add(public)
        s.flush()
        gallery.like(s, public.id, liker.id)
        public_id = public.id
    with db() as s:
        accounts.delete_account(s, s.get(User, liker.id), confirmation="DELETE")
    assert not get_storage().exists(key)
    with db() as s:
        assert s.get(GeneratedImage, public_id).likes == 0
