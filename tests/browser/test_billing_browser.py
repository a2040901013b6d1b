"""The billing and admin pages in a real browser, on the test app (no Stripe keys: payments off)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.test_accounts_browser import open_page
from tests.browser.test_studio_browser import signed_in_page


def test_billing_shows_plans_but_payments_are_not_configured(running_app, browser, shots):
    url = running_app.url
    page = signed_in_page(browser, url)
    open_page(page, f"{url}/billing")
    expect(page.get_by_role("heading", name="Billing", level=1)).to_be_visible()
    expect(page.locator("#billing-disabled")).to_contain_text("Payments are not configured")
    expect(page.locator("#billing-plan")).to_have_text("Free")
    expect(page.locator("#billing-balance")).to_have_text("10")
    for plan in ("free", "pro", "premium"):
        expect(page.locator(f"#plan-{plan}")).to_be_visible()
    for pack in ("starter", "creator", "professional"):
        expect(page.locator(f"#pack-{pack}")).to_be_visible()
    expect(page.locator("#plan-pro")).to_contain_text("$19.99")
    # Nothing pretends to charge: every buy/subscribe/manage button is disabled.
    expect(page.get_by_role("button", name="Subscribe to Pro")).to_be_disabled()
    expect(page.get_by_role("button", name="Subscribe to Premium")).to_be_disabled()
    expect(page.get_by_role("button", name="Buy the Creator pack")).to_be_disabled()
    expect(page.locator("#manage-billing")).to_be_disabled()
    expect(page.locator("#no-purchases")).to_be_visible()
    # The yearly toggle switches the prices and the product posted.
    page.get_by_role("radio", name="Yearly").click()
    expect(page.locator("#plan-pro")).to_contain_text("$199.90")
    assert page.locator("#plan-pro input[name=product]").get_attribute("value") == "pro_year"
    page.screenshot(path=shots / "billing-desktop-light.png", full_page=True)

    # A Checkout return that isn't this user's is not announced as paid.
    open_page(page, f"{url}/billing?checkout=success&session_id=cs_test_nothing")
    expect(page.locator("#checkout-unknown")).to_be_visible()
    expect(page.locator("#checkout-paid")).to_have_count(0)

    dark = page.context.browser.new_context(viewport={"width": 1360, "height": 900}, color_scheme="dark",
                                            storage_state=page.context.storage_state()).new_page()
    open_page(dark, f"{url}/billing")
    expect(dark.locator("#billing-disabled")).to_be_visible()
    dark.wait_for_timeout(400)
    dark.screenshot(path=shots / "billing-desktop-dark.png", full_page=True)
    phone = page.context.browser.new_context(viewport={"width": 390, "height": 844},
                                             storage_state=page.context.storage_state()).new_page()
    open_page(phone, f"{url}/billing")
    expect(phone.locator("#plan-premium")).to_be_visible()
    phone.screenshot(path=shots / "billing-phone-light.png", full_page=True)
    dark.context.close()
    phone.context.close()

    # The user menu links to Billing, and (not an admin) not to Admin.
    page.locator("#user-menu").click()
    expect(page.get_by_role("link", name="Billing")).to_be_visible()
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)
    page.context.close()


def test_a_non_admin_is_sent_away_from_admin(running_app, browser):
    url = running_app.url
    page = signed_in_page(browser, url)
    page.goto(f"{url}/admin")
    expect(page).to_have_url(re.compile(r"/app$"), timeout=15_000)
    expect(page.locator("#admin-users")).to_have_count(0)
    page.context.close()
