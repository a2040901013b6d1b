"""Deleting an account with a live subscription cancels it in Stripe first (the emulator answers
DELETE /v1/subscriptions/{id} as Stripe does); when Stripe can't be told, nothing is deleted."""

from __future__ import annotations

import pytest

from palett.models import StripeEvent, User
from palett.services.accounts import users as accounts
from palett.services.common.errors import UserError
from tests.integration import test_billing
from tests.integration.test_billing import new_user, state, subscribe

emulator = test_billing.emulator  # fixtures shared with the billing tests
no_stripe_from_the_shell = test_billing.no_stripe_from_the_shell


def delete(db, user_id: int) -> None:
    with db() as s:
        accounts.delete_account(s, s.get(User, user_id), confirmation="DELETE")


def cancel_calls(emu) -> list[str]:
    return [path for method, path, _ in emu.requests if method == "DELETE"]


def test_deleting_an_account_cancels_its_live_subscription_first(db, emulator):
    uid = new_user(db)
    _, sub_id, _ = subscribe(db, emulator, uid, "pro_month")
    assert state(db, uid)[:2] == ("pro", "active")
    delete(db, uid)
    assert cancel_calls(emulator) == [f"/v1/subscriptions/{sub_id}"]
    assert emulator.subscriptions[sub_id]["status"] == "canceled"  # no further invoice
    with db() as s:
        assert s.get(User, uid) is None
    # Stripe's webhook for the cancellation arrives after the account is gone: accepted, and harmless.
    events = emulator.take_pending()
    assert [e["type"] for e in events] == ["customer.subscription.deleted"]
    assert emulator.deliver(events) == [200]
    with db() as s:
        assert s.get(User, uid) is None and s.get(StripeEvent, events[0]["id"]) is not None


def test_when_stripe_is_down_the_account_is_not_deleted(db, emulator):
    uid = new_user(db)
    _, sub_id, _ = subscribe(db, emulator, uid, "premium_month")
    emulator.down = True
    with pytest.raises(UserError) as err:
        delete(db, uid)
    assert err.value.code == "subscription_cancel_failed"
    assert "not deleted" in err.value.message and "Try again" in err.value.message
    assert state(db, uid)[:2] == ("premium", "active")  # the user and everything they own are still here
    assert emulator.subscriptions[sub_id]["status"] == "active"
    emulator.down = False  # the retry the message asks for works
    delete(db, uid)
    assert emulator.subscriptions[sub_id]["status"] == "canceled"


def test_a_subscription_stripe_already_ended_does_not_block_deletion(db, emulator):
    uid = new_user(db)
    _, sub_id, _ = subscribe(db, emulator, uid, "pro_month")
    emulator.cancel_subscription(sub_id, deliver=False)  # ended in Stripe; our webhook hasn't landed yet
    delete(db, uid)  # Stripe answers 404 "No such subscription": nothing left to stop
    assert cancel_calls(emulator) == [f"/v1/subscriptions/{sub_id}"]
    with db() as s:
        assert s.get(User, uid) is None


def test_an_account_without_a_live_subscription_never_calls_stripe(db, emulator):
    uid = new_user(db)
    _, sub_id, _ = subscribe(db, emulator, uid, "pro_month")
    emulator.cancel_subscription(sub_id)  # delivered: the plan has ended
    assert state(db, uid)[:2] == ("free", "canceled")
    emulator.down = True
    delete(db, uid)
    assert cancel_calls(emulator) == []


def test_the_webhook_after_deletion_never_lands_on_a_newer_account(db, emulator):
    """SQLite hands a deleted user's id to the next sign-up: the late webhook's metadata still names that id."""
    uid = new_user(db)
    emulator.clock_offset = -120  # the subscription is older than the next account, as it always is
    subscribe(db, emulator, uid, "pro_month")
    delete(db, uid)
    newcomer = new_user(db, email="newcomer@example.com")
    assert emulator.deliver(emulator.take_pending()) == [200]
    assert state(db, newcomer) == ("free", None, 10)
    with db() as s:
        assert s.get(User, newcomer).stripe_customer_id is None
