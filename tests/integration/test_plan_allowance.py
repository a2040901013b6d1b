"""Plan allowances through the one submit path, on SQLite and PostgreSQL: Pro's free basic tools within
PRO_BASIC_FAIR_USE (covered, at the cap, failed jobs free and not counted) and Premium's fair use.
After every step the ledger sums to the balance."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from palett.models import CreditTransaction, Job, User, utcnow
from palett.services import billing
from palett.services.common.errors import UserError
from palett.services.generation import pipeline
from palett.services.generation.submit import write_job
from tests.conftest import reset_caches
from tests.integration.test_edit_tools import run, stored_image
from tests.integration.test_pipeline_local import balance_matches_ledger, new_user

UPSCALE = {"model": "local-lanczos", "mode": "2x"}
RESTORE = {"model": "local-restore"}
STYLE = {"model": "local-style", "style": "pencil"}  # 2 credits: not a basic tool


@pytest.fixture(autouse=True)
def small_caps(monkeypatch):
    monkeypatch.setenv("PRO_BASIC_FAIR_USE", "2")
    monkeypatch.setenv("PREMIUM_FAIR_USE", "3")
    reset_caches()


def on_plan(db, user_id: int, plan: str, status: str = "active") -> None:
    with db() as s:
        user = s.get(User, user_id)
        user.plan, user.subscription_plan, user.subscription_status = plan, plan, status
        user.current_period_start = utcnow() - timedelta(days=3)
        s.add(user)


def usage(db, user_id: int) -> billing.Allowance | None:
    with db() as s:
        return billing.allowance(s, s.get(User, user_id))


def ledger_kinds(db, user_id: int) -> list[str]:
    """The credit movements of jobs (a covered job settles with a 0-credit row: nothing moves)."""
    with db() as s:
        return list(s.exec(select(CreditTransaction.kind).where(
            CreditTransaction.user_id == user_id, CreditTransaction.kind != "grant",
            CreditTransaction.kind != "admin_adjust", CreditTransaction.delta != 0)).all())


def params(db, user_id: int, tool: dict) -> dict:
    return {**tool, "image_id": stored_image(db, user_id).id}


def test_pro_basic_tools_are_free_up_to_the_cap_then_cost_credits(db):
    uid = new_user(db).id  # 10 credits
    on_plan(db, uid, "pro")
    assert (usage(db, uid).kind, usage(db, uid).used, usage(db, uid).cap) == ("pro_basic", 0, 2)
    first = run(db, uid, params(db, uid, UPSCALE))
    second = run(db, uid, params(db, uid, RESTORE))
    assert first.status == second.status == "succeeded" and first.charged == second.charged == 0
    assert balance_matches_ledger(db, uid) == 10 and ledger_kinds(db, uid) == []  # nothing reserved at all
    assert usage(db, uid).used == 2 and usage(db, uid).remaining == 0
    third = run(db, uid, params(db, uid, UPSCALE))  # past the cap: credits as usual
    assert third.status == "succeeded" and third.charged == 1
    assert balance_matches_ledger(db, uid) == 9 and ledger_kinds(db, uid) == ["reserve"]
    assert usage(db, uid).used == 2  # paid jobs don't eat the allowance


def test_pro_pays_for_tools_that_are_not_basic(db):
    uid = new_user(db).id
    on_plan(db, uid, "pro")
    job = run(db, uid, params(db, uid, STYLE))
    assert job.charged == 2 and balance_matches_ledger(db, uid) == 8
    assert usage(db, uid).used == 0


def test_a_failed_covered_job_costs_nothing_and_does_not_count(db):
    uid = new_user(db, credits_=0).id  # covered jobs need no balance at all
    on_plan(db, uid, "pro")
    request = params(db, uid, UPSCALE)
    with db() as s:
        job = write_job(s, user=s.get(User, uid), params=request)
    assert usage(db, uid).used == 1  # a queued covered job holds its place: two tabs can't both pass the cap
    assert pipeline.fail(job.id, "the provider fell over")
    with db() as s:
        assert s.get(Job, job.id).status == "failed" and s.get(Job, job.id).charged == 0
    assert usage(db, uid).used == 0 and balance_matches_ledger(db, uid) == 0 and ledger_kinds(db, uid) == []


def test_past_the_cap_without_credits_the_server_refuses_clearly(db):
    uid = new_user(db, credits_=0).id
    on_plan(db, uid, "pro")
    run(db, uid, params(db, uid, UPSCALE))
    run(db, uid, params(db, uid, UPSCALE))
    request = params(db, uid, UPSCALE)
    with db() as s, pytest.raises(UserError) as err:
        write_job(s, user=s.get(User, uid), params=request)
    assert err.value.code == "no_credits" and "needs 1 credits and you have 0" in err.value.message.lower()
    assert balance_matches_ledger(db, uid) == 0


@pytest.mark.parametrize("status", ["past_due", "canceled"])
def test_a_pro_plan_that_is_not_active_pays_like_free(db, status):
    uid = new_user(db).id
    on_plan(db, uid, "pro", status)
    assert usage(db, uid) is None
    assert run(db, uid, params(db, uid, UPSCALE)).charged == 1 and balance_matches_ledger(db, uid) == 9


def test_free_users_pay_for_basic_tools(db):
    uid = new_user(db).id
    assert usage(db, uid) is None
    assert run(db, uid, params(db, uid, RESTORE)).charged == 1 and balance_matches_ledger(db, uid) == 9


def test_premium_covers_every_tool_within_fair_use(db):
    uid = new_user(db).id
    on_plan(db, uid, "premium")
    assert run(db, uid, params(db, uid, STYLE)).charged == 0  # 2 of 3
    assert run(db, uid, params(db, uid, UPSCALE)).charged == 0  # 3 of 3
    assert run(db, uid, params(db, uid, UPSCALE)).charged == 1  # past fair use
    assert balance_matches_ledger(db, uid) == 9 and usage(db, uid).kind == "premium"


def test_billing_summary_reports_pro_basic_use(db):
    uid = new_user(db).id
    on_plan(db, uid, "pro")
    run(db, uid, params(db, uid, UPSCALE))
    with db() as s:
        summary = billing.summary(s, uid)
    assert (summary.allowance_kind, summary.fair_use_used, summary.fair_use_cap, summary.unlimited) == (
        "pro_basic", 1, 2, False)
