"""Billing end to end against the local Stripe emulator, on SQLite and PostgreSQL.

The app serves on 127.0.0.1 (uvicorn thread); the emulator speaks Stripe's API to the official
`stripe` library and POSTs signed webhooks to the app. After every scenario the plan and balance are
what a user should see, and the ledger sums to the balance.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
import stripe
from fastapi import FastAPI
from sqlalchemy import func
from sqlmodel import col, select

from palett.api import auth_routes, billing_routes
from palett.models import CreditTransaction, Job, Purchase, StripeEvent, User, utcnow
from palett.services import billing
from palett.services.accounts import sessions
from palett.services.accounts import users as accounts
from palett.services.accounts.session_cookie import cookie_name
from palett.services.billing import credits, stripe_api
from palett.services.billing.refills import add_months
from palett.services.common.errors import UserError
from palett.services.generation.submit import rate_limit_for
from tests.conftest import reset_caches
from tests.fakes.server import serve_in_thread
from tests.fakes.stripe_emulator import StripeEmulator


def billing_app() -> FastAPI:
    """The routes under test (the real app registers the same router in palett.api.mount_api)."""
    app = FastAPI()
    app.include_router(billing_routes.router)
    app.include_router(auth_routes.router)
    return app


@pytest.fixture(autouse=True)
def no_stripe_from_the_shell(monkeypatch) -> None:
    """Stripe is off unless a test starts the emulator (a developer's exported keys never leak in)."""
    for name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE", "PREMIUM_FAIR_USE",
                 "PRO_BASIC_FAIR_USE"):
        monkeypatch.delenv(name, raising=False)
    reset_caches()


@pytest.fixture
def emulator(db_url, monkeypatch) -> Iterator[StripeEmulator]:
    emu = StripeEmulator().start()
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    reset_caches()
    base, stop = serve_in_thread(billing_app())
    monkeypatch.setenv("PUBLIC_URL", base)
    reset_caches()
    emu.webhook_url = f"{base}/api/webhooks/stripe"
    yield emu
    stop()
    emu.stop()


def new_user(db, email="buyer@example.com") -> int:
    with db() as s:
        return accounts.create_user(s, email=email, verified=True).id


def state(db, user_id: int) -> tuple[str, str | None, int]:
    """(plan, subscription status, balance), after checking balance == ledger sum >= 0."""
    with db() as s:
        user = s.get(User, user_id)
        assert user.credits == credits.ledger_sum(s, user_id) and user.credits >= 0
        return user.plan, user.subscription_status, user.credits


def purchases(db, user_id: int) -> list[Purchase]:
    with db() as s:
        return list(s.exec(select(Purchase).where(Purchase.user_id == user_id).order_by(col(Purchase.id))))


def subscribe(db, emulator: StripeEmulator, user_id: int, product="pro_month", deliver=True):
    link = billing.create_checkout(user_id, product)
    events = emulator.complete_checkout(link.session_id, deliver=deliver)
    return link, emulator.sessions[link.session_id]["subscription"], events


def buy(db, emulator: StripeEmulator, user_id: int, product="starter", deliver=True):
    link = billing.create_checkout(user_id, product)
    events = emulator.complete_checkout(link.session_id, deliver=deliver)
    return link, emulator.sessions[link.session_id]["payment_intent"], events


# ---- without Stripe ----------------------------------------------------------------------------------------


def test_without_keys_plans_show_but_nothing_pretends_to_charge(db):
    uid = new_user(db)
    from palett.settings import get_settings

    settings = get_settings()
    assert not billing.billing_enabled(settings)
    packs = {p.key: p for p in billing.pack_offers(settings)}
    assert (packs["creator"].credits, packs["creator"].bonus, packs["creator"].price) == (250, 50, "$19.99")
    assert not any(p.available for p in packs.values())
    plans = {p.key: p for p in billing.plan_offers(settings)}
    assert plans["pro"].monthly == "$19.99" and plans["pro"].yearly_saving_percent == 17
    assert plans["premium"].unlimited and plans["premium"].priority and not plans["premium"].available_monthly
    with pytest.raises(UserError) as err:
        billing.create_checkout(uid, "starter")
    assert err.value.code == "billing_disabled"
    with db() as s:
        assert billing.summary(s, uid).billing_enabled is False
    base, stop = serve_in_thread(billing_app())
    try:
        assert httpx.post(f"{base}/api/webhooks/stripe", content=b"{}").status_code == 503
    finally:
        stop()


# ---- checkout and portal through the stripe library --------------------------------------------------------


def test_pack_checkout_through_the_hosted_page_adds_credits_once(db, emulator):
    uid = new_user(db)
    link = billing.create_checkout(uid, "starter")
    assert link.url.startswith(emulator.base_url + "/checkout/cs_test_")
    [pending] = purchases(db, uid)
    assert (pending.status, pending.stripe_session_id, pending.credits) == ("pending", link.session_id, 100)
    session = emulator.sessions[link.session_id]
    assert session["client_reference_id"] == str(uid) and session["metadata"]["product"] == "starter"
    assert session["success_url"].endswith("/billing?checkout=success&session_id={CHECKOUT_SESSION_ID}")
    with db() as s:
        assert billing.checkout_status(s, uid, link.session_id).status == "pending"  # back before the webhook
    assert state(db, uid) == ("free", None, 10)

    page = httpx.get(link.url)
    assert "Pay $9.99" in page.text
    paid = httpx.post(f"{link.url}/pay")  # the buyer pays; the emulator sends the webhooks, then redirects
    assert paid.status_code == 303
    assert paid.headers["location"].endswith(f"checkout=success&session_id={link.session_id}")
    assert state(db, uid) == ("free", None, 110)
    [bought] = purchases(db, uid)
    assert (bought.status, bought.amount_cents) == ("paid", 999)
    assert bought.stripe_payment_intent == session["payment_intent"]
    assert bought.receipt_url and bought.receipt_url.startswith(emulator.base_url + "/receipts/")
    with db() as s:
        done = billing.checkout_status(s, uid, link.session_id)
        assert (done.status, done.credits, done.balance) == ("paid", 100, 110)
        assert billing.checkout_status(s, uid + 1, link.session_id).status == "unknown"  # not someone else's
        [row] = billing.history(s, uid)
        assert (row.description, row.amount, row.credits, row.status) == ("Starter pack", "$9.99", 100, "paid")
        ledger = s.exec(select(CreditTransaction).where(CreditTransaction.kind == "purchase")).one()
        assert ledger.idempotency_key == f"checkout:{link.session_id}"
        assert ledger.reference == "Starter pack · 100 credits"


def test_checkout_requests_are_idempotent_and_the_customer_is_made_once(db, emulator):
    uid = new_user(db)
    first = billing.create_checkout(uid, "creator")
    second = billing.create_checkout(uid, "pro_year")
    assert first.session_id != second.session_id  # two purchases, two sessions
    customer_calls = [r for r in emulator.requests if r[1] == "/v1/customers"]
    assert customer_calls == [("POST", "/v1/customers", f"palett-customer-{uid}")]
    keys = [r[2] for r in emulator.requests if r[1] == "/v1/checkout/sessions"]
    assert keys == [f"palett-checkout-{first.purchase_id}", f"palett-checkout-{second.purchase_id}"]
    with db() as s:
        customer = s.get(User, uid).stripe_customer_id
    assert customer in emulator.customers and billing.ensure_customer(uid) == customer
    assert emulator.sessions[second.session_id]["mode"] == "subscription"

    # A retried request with the same key gets the same session; other parameters under that key are refused.
    client = stripe_api.client()
    params = {"mode": "payment", "customer": customer, "line_items": [{"price": "price_starter", "quantity": 1}],
              "success_url": "http://x/ok", "metadata": {"user_id": str(uid)}}
    a = client.v1.checkout.sessions.create(params, {"idempotency_key": "retry-me"})  # type: ignore[arg-type]
    b = client.v1.checkout.sessions.create(params, {"idempotency_key": "retry-me"})  # type: ignore[arg-type]
    assert a.id == b.id and a.metadata.to_dict() == {"user_id": str(uid)}
    with pytest.raises(stripe.IdempotencyError):
        client.v1.checkout.sessions.create({**params, "client_reference_id": "other"},  # type: ignore[arg-type]
                                           {"idempotency_key": "retry-me"})
    with pytest.raises(stripe.AuthenticationError):
        stripe.StripeClient("sk_test_wrong", base_addresses={"api": emulator.base_url}).v1.customers.create({})
    with pytest.raises(UserError) as err:
        billing.create_checkout(uid, "gold_month")
    assert err.value.code == "unknown_product"


def test_a_checkout_stripe_refuses_leaves_no_pending_purchase(db, emulator, monkeypatch):
    uid = new_user(db)
    monkeypatch.setenv("STRIPE_PRICE_STARTER", "price_deleted_in_dashboard")
    reset_caches()
    with pytest.raises(UserError) as err:
        billing.create_checkout(uid, "starter")
    assert err.value.code == "payment_provider_error"
    assert purchases(db, uid) == []


def test_portal_session_and_cancel_at_period_end_in_the_portal(db, emulator):
    uid = new_user(db)
    with pytest.raises(UserError) as err:
        billing.create_portal(uid)
    assert err.value.code == "no_billing_account"
    subscribe(db, emulator, uid)
    with pytest.raises(UserError) as err:
        billing.create_checkout(uid, "premium_month")
    assert err.value.code == "already_subscribed"
    portal = billing.create_portal(uid)
    assert portal.url.startswith(emulator.base_url + "/portal/bps_")
    assert billing.create_portal(uid).url == portal.url  # a double click opens the same session
    assert "price_pro_monthly: active" in httpx.get(portal.url).text
    httpx.post(f"{portal.url}/cancel")  # "Cancel plan" in the (emulated) portal
    assert state(db, uid) == ("pro", "active", 510)
    with db() as s:
        summary = billing.summary(s, uid)
        assert summary.cancel_at_period_end and "ends on" in summary.banner and summary.can_manage


def test_checkout_route_sends_a_signed_in_browser_to_stripe(db, emulator):
    uid = new_user(db)
    with db() as s:
        token = sessions.create(s, uid)
    base = emulator.webhook_url.rsplit("/api/", 1)[0]
    with httpx.Client(base_url=base, cookies={cookie_name(): token}, headers={"origin": base}) as browser:
        response = browser.post("/api/billing/checkout", data={"product": "professional"})
        assert response.status_code == 303 and response.headers["location"].startswith(emulator.base_url)
        assert browser.post("/api/billing/checkout", data={"product": "nope"}).headers["location"].endswith(
            "/billing?error=unknown_product")
        assert browser.post("/api/billing/portal").headers["location"].startswith(emulator.base_url + "/portal/")
        refused = browser.post("/api/billing/checkout", data={"product": "starter"},
                               headers={"origin": "https://evil.example"})
        assert refused.status_code == 403
    anonymous = httpx.post(f"{base}/api/billing/checkout", data={"product": "starter"}, headers={"origin": base})
    assert anonymous.headers["location"].endswith("/signin?error=signed_out")


# ---- hostile and repeated deliveries -----------------------------------------------------------------------


def test_duplicate_deliveries_apply_once_even_concurrently(db, emulator):
    uid = new_user(db)
    _, _, events = buy(db, emulator, uid, "creator", deliver=False)
    completed = events[-1]
    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = list(pool.map(lambda _: emulator.send(completed), range(6)))
    assert [c.status_code for c in codes] == [200] * 6
    assert sorted(c.json()["status"] for c in codes) == ["applied"] + ["duplicate"] * 5
    assert emulator.deliver(events + events) == [200] * 4
    assert state(db, uid) == ("free", None, 260)
    with db() as s:
        assert s.exec(select(func.count()).select_from(StripeEvent)).one() == 2


def test_replays_with_a_stale_or_future_timestamp_are_refused(db, emulator):
    uid = new_user(db)
    _, _, events = buy(db, emulator, uid, deliver=False)
    now = int(utcnow().timestamp())
    for t in (now - 330, now - 86400, now + 330, now + 3600):  # a margin: the check runs a moment later
        response = emulator.send(events[-1], timestamp=t)
        assert response.status_code == 400, t
    assert state(db, uid) == ("free", None, 10)
    assert emulator.send(events[-1], timestamp=now - 60).status_code == 200  # inside the window: fine, once
    assert emulator.send(events[-1], timestamp=now - 30).json()["status"] == "duplicate"
    assert state(db, uid) == ("free", None, 110)


def test_forged_signatures_are_refused(db, emulator):
    uid = new_user(db)
    _, _, events = buy(db, emulator, uid, deliver=False)
    completed = events[-1]
    assert emulator.send(completed, secret="whsec_attacker").status_code == 400
    tampered = dict(completed, data={"object": {**completed["data"]["object"], "amount_total": 1}})
    body = httpx.Request("POST", "http://x", json=tampered).content
    assert emulator.send(completed, body=body).status_code == 400  # signed one body, sent another
    assert emulator.send(completed, signature="").status_code == 400
    assert emulator.send(completed, signature="t=1,v1=deadbeef").status_code == 400
    assert emulator.send(completed, signature=f"t={int(utcnow().timestamp())},v1=" + "0" * 64).status_code == 400
    assert state(db, uid) == ("free", None, 10)
    with db() as s:
        assert s.exec(select(func.count()).select_from(StripeEvent)).one() == 0


def test_unknown_events_are_stored_and_ignored(db, emulator):
    event = emulator.event("customer.created", {"id": "cus_x", "object": "customer"})
    assert emulator.send(event).json()["status"] == "ignored"
    with db() as s:
        stored = s.get(StripeEvent, event["id"])
        assert stored.outcome == "ignored" and stored.type == "customer.created"


# ---- order does not matter ---------------------------------------------------------------------------------

ORDERS = {
    "as_sent": lambda e: e,
    "reversed": lambda e: e[::-1],
    "subscription_updated_before_created": lambda e: [e[3], e[0], e[1], e[2]],
    "invoice_paid_before_checkout_completed": lambda e: [e[1], e[2], e[0], e[3]],
    "checkout_first_then_duplicates": lambda e: [e[2], e[3], e[0], e[1], e[2], e[1], e[3], e[0]],
    "shuffled": lambda e: random.Random(7).sample(e, len(e)),
}


@pytest.mark.parametrize("order", list(ORDERS))
def test_subscription_events_in_any_order_end_the_same(db, emulator, order):
    """Pro by Checkout, then an upgrade to Premium: 4 events, delivered in many orders."""
    uid = new_user(db)
    link, sub_id, events = subscribe(db, emulator, uid, "pro_month", deliver=False)
    events += emulator.change_plan(sub_id, "price_premium_monthly", deliver=False)
    assert [e["type"] for e in events] == ["customer.subscription.created", "invoice.paid",
                                          "checkout.session.completed", "customer.subscription.updated"]
    assert all(code == 200 for code in emulator.deliver(ORDERS[order](events)))
    assert state(db, uid) == ("premium", "active", 510)  # the Pro invoice's 500 stays: it was paid
    [row] = purchases(db, uid)  # one row for the checkout and its first invoice, however they arrived
    assert (row.stripe_session_id, row.stripe_invoice_id, row.status, row.credits, row.amount_cents) == (
        link.session_id, events[1]["data"]["object"]["id"], "paid", 500, 1999)
    with db() as s:
        user = s.get(User, uid)
        assert (user.subscription_id, user.subscription_plan, user.billing_interval) == (sub_id, "premium", "month")
        assert user.current_period_end > utcnow() + timedelta(days=29)


def test_pro_gets_500_for_each_paid_invoice(db, emulator):
    uid = new_user(db)
    _, sub_id, _ = subscribe(db, emulator, uid)
    assert state(db, uid) == ("pro", "active", 510)
    renewal = emulator.renew(sub_id)
    emulator.renew(sub_id)
    emulator.deliver(renewal)  # a late duplicate of the first renewal
    assert state(db, uid) == ("pro", "active", 1510)
    with db() as s:
        refills = s.exec(select(CreditTransaction).where(CreditTransaction.kind == "subscription_refill")).all()
        assert [r.delta for r in refills] == [500, 500, 500]
        assert len({r.idempotency_key for r in refills}) == 3
        rows = billing.history(s, uid)
    assert [(r.description, r.credits, r.status) for r in rows] == [("Pro plan (monthly)", 500, "paid")] * 3
    assert all(r.receipt_url and "/invoices/in_" in r.receipt_url for r in rows)


def test_past_due_and_canceled_fall_back_to_free_rules(db, emulator):
    from palett.settings import get_settings

    uid = new_user(db)
    _, sub_id, created_events = subscribe(db, emulator, uid)
    emulator.fail_payment(sub_id)
    assert state(db, uid) == ("free", "past_due", 510)  # credits stay; Free rules apply
    with db() as s:
        user = s.get(User, uid)
        assert user.subscription_plan == "pro"
        assert rate_limit_for(user) == get_settings().rate_limit_free
        assert "didn't go through" in billing.summary(s, uid).banner
    emulator.pay_open_invoice(sub_id)
    assert state(db, uid) == ("pro", "active", 1010)
    emulator.cancel_subscription(sub_id, at_period_end=True)
    assert state(db, uid) == ("pro", "active", 1010)
    emulator.end_period(sub_id)
    assert state(db, uid) == ("free", "canceled", 1010)
    emulator.deliver(created_events)  # stale "created"/"invoice.paid"/"completed" snapshots arrive late
    assert state(db, uid) == ("free", "canceled", 1010)
    with db() as s:
        summary = billing.summary(s, uid)
        assert summary.plan_name == "Free" and "has ended" in summary.banner and not summary.cancel_at_period_end
    # After the cancel the user may subscribe again, and the new subscription wins over the old one.
    _, new_sub, _ = subscribe(db, emulator, uid, "premium_month")
    emulator.deliver(emulator.cancel_subscription(sub_id, deliver=False))  # the old one's late "deleted"
    assert state(db, uid) == ("premium", "active", 1010)
    with db() as s:
        assert s.get(User, uid).subscription_id == new_sub


# ---- refunds -----------------------------------------------------------------------------------------------


def test_refund_takes_back_only_unused_credits_and_records_it(db, emulator):
    uid = new_user(db)
    _, pi, _ = buy(db, emulator, uid, "starter")
    with db() as s:  # 30 credits spent on generations
        credits.apply(s, user_id=uid, delta=-30, kind=credits.Kind.reserve, idempotency_key="spent")
    refund = emulator.refund(pi)
    emulator.deliver(refund)  # duplicate
    assert state(db, uid) == ("free", None, 0)  # 110 - 30 = 80 held; all 80 taken back, never below zero
    [row] = purchases(db, uid)
    assert (row.status, row.credits_refunded, row.refunded_cents) == ("refunded", 80, 999)
    with db() as s:
        ledger = s.exec(select(CreditTransaction).where(CreditTransaction.kind == "refund")).one()
        assert ledger.delta == -80
        assert "Refund of Starter pack" in ledger.reference and "80 unused credits taken back" in ledger.reference
        assert "20 already used" in ledger.reference


def test_partial_refunds_and_a_refund_that_overtakes_its_checkout(db, emulator):
    uid = new_user(db)
    _, pi, _ = buy(db, emulator, uid, "creator")
    half = emulator.refund(pi, 1000, deliver=False)
    rest = emulator.refund(pi, deliver=False)
    emulator.deliver(rest + half)  # the later (cumulative) refund first; the older one then changes nothing
    assert state(db, uid) == ("free", None, 10)
    assert purchases(db, uid)[0].status == "refunded"

    other = new_user(db, "second@example.com")
    _, pi2, bought = buy(db, emulator, other, "professional", deliver=False)
    refunded = emulator.refund(pi2, 1999, deliver=False)  # about half of $39.99
    emulator.deliver(refunded + bought)  # charge.refunded before checkout.session.completed
    assert state(db, other) == ("free", None, 10 + 600 - 600 * 1999 // 3999)
    row = purchases(db, other)[0]
    assert (row.status, row.credits_refunded) == ("partially_refunded", 600 * 1999 // 3999)


def test_an_expired_checkout_leaves_no_trace_in_the_history(db, emulator):
    uid = new_user(db)
    link = billing.create_checkout(uid, "starter")
    emulator.expire_checkout(link.session_id)
    assert purchases(db, uid)[0].status == "expired"
    with db() as s:
        assert billing.history(s, uid) == []
    assert state(db, uid) == ("free", None, 10)


# ---- refills and Premium -----------------------------------------------------------------------------------


def test_free_monthly_refill_tops_up_to_10_without_stacking(db):
    uid = new_user(db)
    with db() as s:
        created = s.get(User, uid).created_at
        credits.apply(s, user_id=uid, delta=-7, kind=credits.Kind.reserve, idempotency_key="spend-7")
    with db() as s:
        assert billing.refill_free(s, created + timedelta(days=20)) == 0  # before the first anniversary
    month1 = add_months(created, 1) + timedelta(hours=1)
    with db() as s:
        assert billing.refill_free(s, month1) == 1
    assert state(db, uid) == ("free", None, 10)
    with db() as s:
        credits.apply(s, user_id=uid, delta=-6, kind=credits.Kind.reserve, idempotency_key="spend-6")
        s.get(User, uid).credits_refill_at = None  # even a forced re-run in the same month grants nothing
    with db() as s:
        assert billing.refill_free(s, month1 + timedelta(days=2)) == 0
    assert state(db, uid) == ("free", None, 4)
    with db() as s:
        assert billing.refill_free(s, add_months(created, 2) + timedelta(hours=1)) == 1
    assert state(db, uid) == ("free", None, 10)
    with db() as s:
        credits.apply(s, user_id=uid, delta=15, kind=credits.Kind.purchase, idempotency_key="bought-15")
        assert billing.refill_free(s, add_months(created, 3) + timedelta(hours=1)) == 0  # 25 ≥ 10: not stacked
    assert state(db, uid) == ("free", None, 25)
    with db() as s:
        free = col(CreditTransaction.reference).startswith("Free plan")
        grants = s.exec(select(CreditTransaction.delta).where(free).order_by(col(CreditTransaction.id))).all()
        assert grants == [7, 6]


def test_yearly_pro_gets_500_each_month_of_the_paid_year(db, emulator):
    uid = new_user(db)
    subscribe(db, emulator, uid, "pro_year")
    assert state(db, uid) == ("pro", "active", 510)
    with db() as s:
        start = s.get(User, uid).current_period_start
    with db() as s:
        assert billing.refill_yearly_pro(s, add_months(start, 1) + timedelta(hours=1)) == 1
        assert billing.refill_free(s, add_months(start, 1) + timedelta(hours=1)) == 0  # not a Free user
    with db() as s:
        assert billing.refill_yearly_pro(s, add_months(start, 1) + timedelta(hours=2)) == 0
    with db() as s:
        report = billing.refill_due(s, add_months(start, 3) + timedelta(hours=1))  # the sweeper was down a while
        assert report.pro_months_granted == 2
    assert state(db, uid) == ("pro", "active", 2010)


def test_premium_is_unlimited_within_fair_use(db, emulator, monkeypatch):
    monkeypatch.setenv("PREMIUM_FAIR_USE", "5")
    reset_caches()
    uid = new_user(db)
    with db() as s:
        assert billing.allowance(s, s.get(User, uid)) is None
    subscribe(db, emulator, uid, "premium_month")
    assert state(db, uid) == ("premium", "active", 10)  # Premium brings no credits, it needs none
    with db() as s:
        user = s.get(User, uid)
        assert billing.covers(s, user, operation="t2i", cost=5)
        for status in ("succeeded", "failed", "running"):
            s.add(Job(user_id=uid, operation="t2i", model="local-preview", provider="local", cost=2, status=status))
    with db() as s:
        user = s.get(User, uid)
        usage = billing.allowance(s, user)
        assert (usage.kind, usage.used, usage.cap, usage.remaining) == ("premium", 4, 5, 1)  # failed doesn't count
        assert billing.covers(s, user, operation="t2i", cost=1)
        assert not billing.covers(s, user, operation="t2i", cost=2)
        summary = billing.summary(s, uid)
        assert summary.unlimited and summary.fair_use_used == 4


def test_an_event_that_cannot_be_applied_is_not_stored_so_stripe_retries_it(db, emulator, monkeypatch):
    uid = new_user(db)
    _, _, events = subscribe(db, emulator, uid, deliver=False)
    monkeypatch.setenv("STRIPE_API_BASE", "http://127.0.0.1:9")  # Stripe's API unreachable from the handler
    reset_caches()
    response = emulator.send(events[0])
    assert response.status_code == 500
    with db() as s:
        assert s.get(StripeEvent, events[0]["id"]) is None
    assert state(db, uid) == ("free", None, 10)
    monkeypatch.setenv("STRIPE_API_BASE", emulator.base_url)
    reset_caches()
    assert emulator.deliver(events) == [200, 200, 200]  # Stripe's retry
    assert state(db, uid) == ("pro", "active", 510)
