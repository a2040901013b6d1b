"""Admin services on SQLite and PostgreSQL: refused to non-admins, every action audited."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, update
from sqlmodel import col, select
from starlette.testclient import TestClient

from palett.models import AuditLog, CreditTransaction, Job, Role, User, utcnow
from palett.services import admin
from palett.services.accounts import sessions
from palett.services.accounts import users as accounts
from palett.services.accounts.security import token_hash
from palett.services.billing import credits
from palett.services.common.errors import UserError
from palett.services.generation import pipeline
from palett.services.generation.submit import write_job
from tests.conftest import reset_caches

PW = "violet-otter-lamp-42"
PROMPT = {"model": "local-preview", "prompt": "a lighthouse in fog", "size": "square"}


def make_user(db, email: str, *, role: str = Role.user) -> User:
    with db() as s:
        user = accounts.create_user(s, email=email, verified=True, password=PW)
        user.role = role
        s.add(user)
        s.flush()
        s.refresh(user)
        return user


@pytest.fixture
def people(db):
    return make_user(db, "root@example.com", role=Role.admin), make_user(db, "ada@example.com")


def audit_count(db) -> int:
    with db() as s:
        return s.exec(select(func.count()).select_from(AuditLog)).one()


def submit(db, user_id: int) -> int:
    with db() as s:
        return write_job(s, user=s.get(User, user_id), params=dict(PROMPT)).id or 0


def every_admin_call(target_id: int, job_id: int):
    return {
        "search_users": lambda s, a: admin.search_users(s, a, "ada"),
        "view_user": lambda s, a: admin.view_user(s, a, target_id),
        "adjust_credits": lambda s, a: admin.adjust_credits(s, a, target_id, 5, "goodwill gesture"),
        "set_disabled": lambda s, a: admin.set_disabled(s, a, target_id, True),
        "list_jobs": lambda s, a: admin.list_jobs(s, a, state="failed"),
        "retry_job": lambda s, a: admin.retry_job(s, a, job_id),
        "refund_job": lambda s, a: admin.refund_job(s, a, job_id, "bad result"),
        "list_purchases": lambda s, a: admin.list_purchases(s, a),
        "list_stripe_events": lambda s, a: admin.list_stripe_events(s, a),
        "dashboard": lambda s, a: admin.dashboard(s, a),
        "list_audit": lambda s, a: admin.list_audit(s, a),
    }


def test_non_admins_get_forbidden_from_every_admin_function(db, people):
    root, ada = people
    job_id = submit(db, ada.id)
    with db() as s:
        stale = s.get(User, root.id)
        s.expunge(stale)
    with db() as s:  # root loses the role; the stale object still says admin
        s.execute(update(User).where(col(User.id) == root.id).values(role=Role.user))
    disabled_admin = make_user(db, "former@example.com", role=Role.admin)
    with db() as s:
        s.execute(update(User).where(col(User.id) == disabled_admin.id).values(disabled=True))
    for actor in (ada, stale, disabled_admin, None):
        for name, call in every_admin_call(ada.id, job_id).items():
            with pytest.raises(UserError) as err, db() as s:
                call(s, actor)
            assert err.value.code == "forbidden", (name, actor)
    assert audit_count(db) == 0
    with db() as s:
        user = s.get(User, ada.id)
        assert not user.disabled and user.credits == credits.ledger_sum(s, ada.id)
        assert s.get(Job, job_id).status == "queued"


def test_every_admin_function_works_for_an_admin_and_is_audited(db, people):
    root, ada = people
    job_id = submit(db, ada.id)
    with db() as s:
        pipeline.cancel(s, user_id=ada.id, job_id=job_id)
    calls = every_admin_call(ada.id, job_id)
    for name in ("search_users", "view_user", "adjust_credits", "list_jobs", "retry_job", "list_purchases",
                 "list_stripe_events", "dashboard", "list_audit", "set_disabled"):
        before = audit_count(db)
        with db() as s:
            calls[name](s, root)
        assert audit_count(db) == before + 1, name
    with db() as s:
        actions = [a.action for a in s.exec(select(AuditLog).order_by(col(AuditLog.id)))]
        assert actions == ["users.search", "user.view", "credits.adjust", "jobs.list", "job.retry", "purchases.list",
                           "stripe_events.list", "dashboard.view", "audit.view", "user.disable"]
        assert all(a.admin_id == root.id for a in s.exec(select(AuditLog)))


def test_admin_credit_adjustment_is_in_the_ledger_and_the_audit_log(db, people):
    root, ada = people
    with db() as s:
        row = admin.adjust_credits(s, root, ada.id, 25, "  Sorry about   the outage ", request_id="form-1")
    assert (row.delta, row.balance_after, row.kind) == (25, 35, "admin_adjust")
    assert row.reference == "Adjusted by root@example.com: Sorry about the outage"
    with db() as s:  # a double submit of the same form applies once
        again = admin.adjust_credits(s, root, ada.id, 25, "Sorry about the outage", request_id="form-1")
    assert again.id == row.id
    with db() as s:
        detail = admin.view_user(s, root, ada.id)
        assert detail.user.credits == 35 and detail.ledger_sum == 35 and detail.balance_matches_ledger
        assert [(t.kind, t.delta) for t in detail.ledger] == [("admin_adjust", 25), ("grant", 10)]
        [entry] = s.exec(select(AuditLog).where(AuditLog.action == "credits.adjust")).all()
        assert (entry.admin_id, entry.admin_email, entry.target_type, entry.target_id) == (
            root.id, "root@example.com", "user", str(ada.id))
        assert entry.details["reason"] == "Sorry about the outage" and entry.details["delta"] == 25
        history = admin.list_audit(s, root, target_type="user", target_id=ada.id)
        assert "credits.adjust" in [h.action for h in history]
    for delta, reason, code in ((-100, "chargeback", "adjust_below_zero"), (5, "  ", "reason_required"),
                                (0, "nothing", "adjust_invalid")):
        with pytest.raises(UserError) as err, db() as s:
            admin.adjust_credits(s, root, ada.id, delta, reason)
        assert err.value.code == code
    with db() as s:
        assert s.get(User, ada.id).credits == 35 == credits.ledger_sum(s, ada.id)
        assert s.exec(select(func.count()).select_from(CreditTransaction)
                      .where(CreditTransaction.user_id == ada.id)).one() == 2


def test_disable_revokes_sessions_and_blocks_sign_in(db, people, monkeypatch):
    from fastapi import FastAPI

    from palett.api import auth_routes

    root, ada = people
    with db() as s:
        token = sessions.create(s, ada.id)
    with db() as s:
        row = admin.set_disabled(s, root, ada.id, True, reason="abuse report #12")
        assert row.disabled
    with db() as s:
        assert sessions.lookup(s, token_hash(token)) is None
        assert sessions.active(s, ada.id) == []
    with pytest.raises(UserError) as err, db() as s:
        accounts.authenticate(s, email="ada@example.com", password=PW, ip="127.0.0.1")
    assert err.value.code == "disabled"
    monkeypatch.setenv("PUBLIC_URL", "http://testserver")
    reset_caches()
    app = FastAPI()
    app.include_router(auth_routes.router)
    with TestClient(app, follow_redirects=False) as client:
        response = client.post("/api/auth/login", data={"email": "ada@example.com", "password": PW},
                               headers={"origin": "http://testserver"})
        assert "error=disabled" in response.headers["location"]
        with db() as s:
            admin.set_disabled(s, root, ada.id, False)
        response = client.post("/api/auth/login", data={"email": "ada@example.com", "password": PW},
                               headers={"origin": "http://testserver"})
        assert response.headers["location"].endswith("/app")
    with pytest.raises(UserError) as err, db() as s:
        admin.set_disabled(s, root, root.id, True)
    assert err.value.code == "admin_self"
    with db() as s:
        actions = [a.action for a in s.exec(select(AuditLog).order_by(col(AuditLog.id)))]
        assert actions == ["user.disable", "user.enable"]
        assert s.exec(select(AuditLog)).first().details == {"reason": "abuse report #12", "sessions_revoked": 1}


def test_jobs_failed_and_stuck_retry_and_refund(db, people):
    root, ada = people
    failed = submit(db, ada.id)
    pipeline.fail(failed, "The model reported an error.")
    stuck = submit(db, ada.id)
    with db() as s:
        s.execute(update(Job).where(col(Job.id) == stuck).values(deadline_at=utcnow() - timedelta(minutes=1)))
    done = submit(db, ada.id)
    asyncio.run(pipeline.execute(done))
    with db() as s:
        assert [j.id for j in admin.list_jobs(s, root, state="failed")] == [failed]
        stuck_rows = admin.list_jobs(s, root, state="stuck")
        assert [j.id for j in stuck_rows] == [stuck] and stuck_rows[0].stuck
        assert {j.id for j in admin.list_jobs(s, root, user_id=ada.id)} == {failed, stuck, done}
    assert credits_of(db, ada.id) == 8  # 10 - stuck 1 - done 1 (the failed one was refunded)

    with db() as s:  # retry = a new job for the owner, charged like any submit
        retried = admin.retry_job(s, root, failed)
    with db() as s:
        new = s.get(Job, retried.job_id)
        assert (new.status, new.params["prompt"], new.charged, retried.granted) == ("queued", PROMPT["prompt"], 1, 0)
    assert credits_of(db, ada.id) == 7
    with db() as s:  # on the house: the cost is granted first (once per job), so the owner pays nothing
        free_retry = admin.retry_job(s, root, failed, on_the_house=True)
    assert free_retry.granted == 1 and credits_of(db, ada.id) == 7
    with pytest.raises(UserError) as err, db() as s:
        admin.retry_job(s, root, done)
    assert err.value.code == "job_not_retryable"

    with db() as s:  # refund a stuck job: ended through the pipeline's settle, its reservation returned
        assert admin.refund_job(s, root, stuck, "stuck for an hour").how == "stopped"
    with db() as s:
        assert s.get(Job, stuck).status == "failed"
        assert admin.refund_job(s, root, done, "blurry result").credits == 1  # a succeeded job: captured credits back
    assert credits_of(db, ada.id) == 9
    for job_id in (done, stuck, failed):
        with pytest.raises(UserError) as err, db() as s:
            admin.refund_job(s, root, job_id, "again please")
        assert err.value.code == "already_refunded"
    with pytest.raises(UserError) as err, db() as s:
        admin.refund_job(s, root, done, "")
    assert err.value.code == "reason_required"
    assert credits_of(db, ada.id) == 9


def credits_of(db, user_id: int) -> int:
    with db() as s:
        balance = s.get(User, user_id).credits
        assert balance == credits.ledger_sum(s, user_id)
        return balance


def test_dashboard_counts_per_day(db, people):
    root, ada = people
    job = submit(db, ada.id)
    pipeline.fail(job, "boom")
    done = submit(db, ada.id)
    asyncio.run(pipeline.execute(done))
    with db() as s:
        credits.apply(s, user_id=ada.id, delta=100, kind=credits.Kind.purchase, idempotency_key="checkout:cs_1")
    with db() as s:
        days = admin.dashboard(s, root, days=7)
    assert len(days) == 7 and days[-1].day == f"{utcnow():%Y-%m-%d}"
    today = days[-1]
    assert (today.signups, today.jobs, today.failures, today.credits_sold, today.credits_used) == (2, 2, 1, 100, 1)
    assert all(d.jobs == 0 for d in days[:-1])


def test_sync_admins_promotes_listed_accounts_at_start_up(db, people, monkeypatch):
    _, ada = people
    monkeypatch.setenv("ADMIN_EMAILS", "Ada@Example.com, nobody@example.com")
    reset_caches()
    with db() as s:
        assert admin.sync_admins(s) == [ada.id]
    with db() as s:
        assert admin.sync_admins(s) == []
        assert s.get(User, ada.id).role == "admin"
        entry = s.exec(select(AuditLog)).one()
        assert (entry.action, entry.admin_id, entry.admin_email) == ("user.promote", None, "system")
        assert admin.search_users(s, ada, "root")[0].email == "root@example.com"  # the new admin is let in
