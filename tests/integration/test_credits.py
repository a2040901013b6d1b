"""The ledger on SQLite and PostgreSQL: idempotent, never negative, balance = sum of rows."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from palett.models import User
from palett.services.accounts import users as accounts
from palett.services.billing import credits


def new_user(db, email="ledger@example.com") -> int:
    with db() as s:
        return accounts.create_user(s, email=email, verified=True).id


def test_same_idempotency_key_applies_once(db):
    uid = new_user(db)
    with db() as s:
        assert credits.apply(s, user_id=uid, delta=100, kind=credits.Kind.purchase, idempotency_key="cs_1")
    with db() as s:
        assert credits.apply(s, user_id=uid, delta=100, kind=credits.Kind.purchase, idempotency_key="cs_1") is None
    with db() as s:
        assert s.get(User, uid).credits == 110 == credits.ledger_sum(s, uid)


def test_spend_beyond_balance_is_refused_and_recorded_nowhere(db):
    uid = new_user(db)
    try:
        with db() as s:
            credits.apply(s, user_id=uid, delta=-11, kind=credits.Kind.reserve, idempotency_key="job:1")
        raise AssertionError("overspent")
    except credits.InsufficientCredits:
        pass
    with db() as s:
        assert s.get(User, uid).credits == 10 == credits.ledger_sum(s, uid)


def test_concurrent_spends_never_overdraw(db):
    uid = new_user(db)

    def spend(i: int) -> bool:
        try:
            with db() as s:
                credits.apply(s, user_id=uid, delta=-1, kind=credits.Kind.reserve, idempotency_key=f"spend:{i}")
            return True
        except credits.InsufficientCredits:
            return False

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(spend, range(40)))
    assert sum(results) == 10
    with db() as s:
        assert s.get(User, uid).credits == 0 == credits.ledger_sum(s, uid)
