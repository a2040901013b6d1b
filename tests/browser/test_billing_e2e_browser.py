"""The paid flows in a browser, against a second app instance wired to the local Stripe emulator.

The emulator's hosted checkout and portal pages stand in for Stripe's; paying there sends signed
webhooks to the app's /api/webhooks/stripe, then redirects back to /billing like Stripe does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import app_env, free_port, serve_session_build
from tests.browser.test_accounts_browser import open_page, sign_in, sign_up, unique_email, verify
from tests.fakes.stripe_emulator import StripeEmulator

ADMIN_EMAIL = unique_email("billing-admin")


@dataclass
class PaidApp:
    url: str
    stripe: StripeEmulator


@pytest.fixture(scope="module")
def paid_app(running_app, app_extra_env, tmp_path_factory) -> Iterator[PaidApp]:
    """A second app (its own data dir and port, the session app's build) with Stripe pointed at the emulator.

    It gets the session app's Fal settings too, so its pages compile to the same frontend.
    """
    data_dir = tmp_path_factory.mktemp("paid-app")
    port = free_port()
    url = f"http://localhost:{port}"
    emu = StripeEmulator().start()
    emu.webhook_url = f"{url}/api/webhooks/stripe"
    env = app_env(data_dir, port, {**app_extra_env, **emu.env(), "ADMIN_EMAILS": ADMIN_EMAIL})
    try:
        with serve_session_build(data_dir, port, env):
            yield PaidApp(url, emu)
    finally:
        emu.stop()


def new_user(browser, url: str, tag: str, email: str | None = None) -> tuple[Page, str]:
    page = browser.new_context(viewport={"width": 1360, "height": 900}).new_page()
    email = email or unique_email(tag)
    sign_up(page, url, email)
    verify(page, url, email)
    sign_in(page, url, email)
    return page, email


def pay_on_checkout(page: Page, stripe: StripeEmulator, price: str) -> None:
    page.wait_for_url(re.compile(re.escape(stripe.base_url) + r"/checkout/cs_test_"))
    expect(page.get_by_role("heading", name=f"Pay {price}")).to_be_visible()
    page.locator("#pay").click()
    page.wait_for_url(re.compile(r"/billing/?\?.*checkout=success"))


def test_buy_a_credit_pack(paid_app, browser):
    url, stripe = paid_app.url, paid_app.stripe
    page, _ = new_user(browser, url, "pack")
    open_page(page, f"{url}/billing")
    expect(page.locator("#billing-balance")).to_have_text("10")
    page.get_by_role("button", name="Buy the Starter pack").click()
    pay_on_checkout(page, stripe, "$9.99")
    expect(page.locator("#checkout-paid")).to_contain_text("Payment received, credits added", timeout=30_000)
    expect(page.locator("#credits-balance")).to_have_text("110")
    expect(page.locator("#billing-balance")).to_have_text("110")
    expect(page.locator("#purchase-history")).to_contain_text("Starter")


def test_subscribe_to_pro_then_cancel_in_the_portal(paid_app, browser):
    url, stripe = paid_app.url, paid_app.stripe
    page, _ = new_user(browser, url, "pro")
    open_page(page, f"{url}/billing")
    expect(page.locator("#billing-plan")).to_have_text("Free")
    expect(page.get_by_role("radio", name="Monthly")).to_be_checked()
    page.get_by_role("button", name="Subscribe to Pro").click()
    pay_on_checkout(page, stripe, "$19.99")
    expect(page.locator("#billing-plan")).to_have_text("Pro", timeout=30_000)
    expect(page.locator("#billing-balance")).to_have_text("510")
    expect(page.locator("#credits-balance")).to_have_text("510")

    page.locator("#manage-billing").click()
    page.wait_for_url(re.compile(re.escape(stripe.base_url) + r"/portal/bps_"))
    expect(page.locator("li[data-sub]")).to_have_text("price_pro_monthly: active")
    page.locator("#cancel").click()
    expect(page.locator("li[data-sub]")).to_contain_text("(cancels at period end)")
    sub_id = page.locator("li[data-sub]").get_attribute("data-sub")
    assert sub_id
    page.locator("#return").click()
    page.wait_for_url(re.compile(r"/billing"))
    expect(page.locator("#billing-banner")).to_contain_text("plan ends on")
    expect(page.locator("#billing-plan")).to_have_text("Pro")

    stripe.end_period(sub_id)  # the period runs out: customer.subscription.deleted
    open_page(page, f"{url}/billing")
    expect(page.locator("#billing-plan")).to_have_text("Free")
    expect(page.locator("#billing-banner")).to_contain_text("has ended; you're on Free")
    expect(page.locator("#billing-balance")).to_have_text("510")  # credits stay


def test_admin_adjusts_credits_and_the_audit_log_lists_it(paid_app, browser):
    url = paid_app.url
    user_page, user_email = new_user(browser, url, "adjusted")
    admin, _ = new_user(browser, url, "admin", email=ADMIN_EMAIL)
    open_page(admin, f"{url}/admin")
    expect(admin.get_by_role("heading", name="Admin")).to_be_visible()
    admin.locator("#admin-query").fill(user_email)
    admin.get_by_role("button", name="Search").click()
    admin.get_by_role("link", name=f"Open {user_email}").click()
    detail = admin.locator("#admin-user")
    expect(detail).to_contain_text(user_email)
    admin.locator("#adjust-delta").fill("5")
    admin.locator("#adjust-reason").fill("goodwill for a slow job")
    admin.locator("#adjust-submit").click()
    expect(admin.locator("#admin-notice")).to_contain_text("the balance is now 15")
    expect(admin.locator("#admin-ledger")).to_contain_text("+5")
    admin.get_by_role("button", name="Refresh purchases, events, dashboard and audit log").click()
    expect(admin.locator("#admin-audit")).to_contain_text("goodwill for a slow job")

    open_page(user_page, f"{url}/app")
    expect(user_page.locator("#credits-balance")).to_have_text("15")
