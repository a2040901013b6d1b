"""Credits that guide (issue 14): every cost preview says what it costs and what you have; out of credits,
the button says why and links to the cheapest pack, highlighted on /billing; Pro's basic tools are free."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.test_accessibility_browser import check
from tests.browser.test_accounts_browser import open_page
from tests.browser.test_editor_browser import newest_edit_done, pick_model, pick_tool, upload
from tests.browser.test_library_browser import generate, open_gallery, tiles
from tests.browser.test_new_user_browser import new_user, set_credits
from tests.browser.test_studio_browser import pick_model as pick_studio_model
from tests.browser.test_studio_browser import set_images


def make_pro(data_dir: Path, email: str) -> None:
    """An active Pro subscription, as the Stripe webhooks would leave it."""
    start = (datetime.now(UTC) - timedelta(days=2)).replace(tzinfo=None).isoformat(sep=" ")
    db = sqlite3.connect(data_dir / "palett.db")
    try:
        db.execute("UPDATE user SET plan = 'pro', subscription_plan = 'pro', subscription_status = 'active', "
                   "subscription_id = 'sub_browser', billing_interval = 'month', current_period_start = ? "
                   "WHERE email = ?", (start, email))
        db.commit()
    finally:
        db.close()


def test_out_of_credits_offers_the_cheapest_pack_highlighted_on_billing(running_app, browser, shots):
    url = running_app.url
    page, email = new_user(browser, url)
    set_credits(running_app.data_dir, email, 1)
    open_page(page, f"{url}/studio")
    pick_studio_model(page, "Local preview — not AI")
    page.locator("#prompt").fill("a lighthouse in a storm")
    set_images(page, 2)
    expect(page.locator("#run-cost")).to_have_text("Costs 2 credits · you have 1")
    expect(page.locator("#generate")).to_be_disabled()
    expect(page.locator("#generate")).to_have_text("Need 1 more credit")
    expect(page.get_by_text("-1")).to_have_count(0)  # never a negative balance
    found_studio: list[str] = []
    check(page, "/studio (out of credits)", "desktop", found_studio)
    assert not found_studio, "\n".join(found_studio)
    buy = page.locator("#buy-credits")
    expect(buy).to_have_text("Buy 100 credits for $9.99")
    buy.click()
    page.wait_for_url(re.compile(r"/billing\?highlight=starter$"))
    starter = page.locator("#pack-starter")
    expect(starter).to_have_class(re.compile(r"\bhighlighted\b"))
    expect(starter).to_contain_text("Covers your next run")
    expect(page.locator("#pack-creator")).not_to_have_class(re.compile(r"\bhighlighted\b"))
    page.screenshot(path=shots / "billing-highlight-desktop-light.png")
    found: list[str] = []
    check(page, "/billing?highlight=starter", "desktop", found)

    # An affordable run says what it costs and what you have; the badge and the Credits button open Billing.
    open_page(page, f"{url}/studio")
    pick_studio_model(page, "Local preview — not AI")
    page.locator("#prompt").fill("a lighthouse in a storm")
    set_images(page, 1)
    expect(page.locator("#run-cost")).to_have_text("Costs 1 credit · you have 1")
    expect(page.locator("#generate")).to_be_enabled()
    expect(page.locator("#buy-credits")).to_have_count(0)
    page.locator("#credits-link").click()
    page.wait_for_url(re.compile(r"/billing$"))
    open_page(page, f"{url}/studio")
    page.get_by_role("link", name="Credits", exact=True).click()
    page.wait_for_url(re.compile(r"/billing$"))

    # Spend the last credit; the image page prices its Variations the same way.
    generate(page, url, "a lighthouse in a storm")
    open_gallery(page, url)
    tiles(page).first.get_by_role("link").click()
    page.locator("#lightbox-recipe").click()  # a tile opens the lightbox; its page is a link away
    page.wait_for_url(re.compile(r"/image/\d+$"))
    expect(page.locator("#variations-cost")).to_have_text("Costs 1 credit · you have 0")
    expect(page.locator("#variations")).to_have_text("Need 1 more credit")
    expect(page.locator("#variations")).to_be_disabled()
    expect(page.locator("#variations-buy")).to_have_attribute("href", re.compile(r"/billing\?highlight=starter$"))

    # The editor's preview is the same one.
    open_page(page, f"{url}/edit")
    upload(page, "astronaut.png")
    pick_tool(page, "bg_remove")
    expect(page.locator("#edit-cost")).to_have_text("Costs 1 credit · you have 0")
    expect(page.locator("#run-tool")).to_have_text("Need 1 more credit")
    expect(page.locator("#run-tool")).to_be_disabled()
    expect(page.locator("#buy-credits")).to_have_attribute("href", re.compile(r"/billing\?highlight=starter$"))
    page.mouse.move(0, 0)  # no hover colours in the contrast check
    check(page, "/edit (out of credits)", "desktop", found)
    assert not found, "\n".join(found)  # axe: no serious or critical violation, light and dark
    page.context.close()


def test_pro_basic_tools_are_free_and_billing_shows_the_allowance(running_app, browser, shots):
    url = running_app.url
    page, email = new_user(browser, url)
    make_pro(running_app.data_dir, email)
    set_credits(running_app.data_dir, email, 0)  # free basic tools need no credits at all
    open_page(page, f"{url}/edit")
    upload(page, "astronaut.png")
    pick_tool(page, "bg_remove")
    pick_model(page, "Local cut-out")
    expect(page.locator("#edit-cost")).to_have_text("Free with Pro · 500 of 500 left this month")
    expect(page.locator("#run-tool")).to_be_enabled()
    page.locator("#run-tool").click()
    newest_edit_done(page, 1)
    expect(page.locator("#edit-cost")).to_have_text("Free with Pro · 499 of 500 left this month")
    expect(page.locator("#credits-balance")).to_have_text("0")
    page.screenshot(path=shots / "edit-free-with-pro-desktop-light.png")
    # A tool that isn't basic costs credits as usual, and says what is missing.
    pick_tool(page, "style")
    expect(page.locator("#edit-cost")).to_have_text("Costs 2 credits · you have 0")
    expect(page.locator("#run-tool")).to_have_text("Need 2 more credits")

    open_page(page, f"{url}/billing")
    expect(page.locator("#billing-fair-use")).to_contain_text("1 of 500 used this month")
    expect(page.locator("#billing-fair-use")).to_contain_text("background removal")
    expect(page.locator("#plan-pro")).to_contain_text("Free background removal, upscaling and photo restoration")
    expect(page.locator("#plans-rules")).to_contain_text("up to 500 a month")
    # Deleting the account would cancel the live subscription first, and the confirmation says so.
    open_page(page, f"{url}/settings")
    page.locator("#delete-account").click()
    expect(page.locator("#delete-cancels-subscription")).to_contain_text("Pro subscription is cancelled")
    page.keyboard.press("Escape")
    phone = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark",
                                storage_state=page.context.storage_state()).new_page()
    open_page(phone, f"{url}/edit")
    upload(phone, "astronaut.png")
    pick_tool(phone, "upscale")
    expect(phone.locator("#edit-cost")).to_contain_text("Free with Pro")
    phone.locator("#run-tool").scroll_into_view_if_needed()
    phone.screenshot(path=shots / "edit-free-with-pro-phone-dark.png")
    phone.context.close()
    page.context.close()
