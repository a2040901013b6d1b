"""Signing in brings you back where you were (issue 14): Remix while signed out → sign up → mail → sign in →
the studio with the remix filled in; a hostile `next` lands on /app."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.test_accounts_browser import PW, open_mail_link, open_page, sign_in, sign_up, unique_email, verify
from tests.browser.test_lightbox_browser import image_id, member, publish
from tests.browser.test_new_user_browser import generate_local

PROMPT = "a red windmill made for remixing"


def carries_the_return_address(page: Page, address: str) -> None:
    """The form's hidden `next` is filled once the page has read its address (a click before that would post none)."""
    expect(page.locator('form input[type="hidden"][name="next"]')).to_have_value(address)


def test_a_signed_out_remix_comes_back_to_the_studio_after_signing_up(running_app, browser, shots):
    url = running_app.url
    author, _ = member(browser, url, "Wendy Windmill")
    generate_local(author, url, PROMPT)
    publish(author, url, image_id(author, url, PROMPT), show_prompt=True)

    visitor = browser.new_context(viewport={"width": 1360, "height": 900}).new_page()
    open_page(visitor, f"{url}/explore")
    visitor.locator("#explore-grid .explore-tile", has_text=PROMPT).locator("a.gallery-open").click()
    remix = visitor.locator("#lightbox-remix").get_attribute("href") or ""
    assert remix.startswith("/studio?remix=")
    visitor.locator("#lightbox-remix").click()
    visitor.wait_for_url(re.compile(r"/signin/?\?.*next="))
    expect(visitor.get_by_role("alert")).to_be_visible()  # "please sign in" says why they are here

    # New here: the way to an account keeps the address, and so do the mail and the verify page.
    visitor.get_by_role("link", name="Create an account").click()
    visitor.wait_for_url(re.compile(r"/signup/?\?next="))
    carries_the_return_address(visitor, remix)
    email = unique_email("remixer")
    visitor.get_by_label("Name").fill("Remy Remixer")
    visitor.get_by_label("Email").fill(email)
    visitor.get_by_label("Password").fill(PW)
    visitor.get_by_role("button", name="Create account").click()
    visitor.wait_for_url(re.compile(r"/signin/?\?.*notice=check_email"))
    open_mail_link(visitor, url, email, "verify")
    assert "next=" in visitor.url
    visitor.get_by_role("button", name="Verify my email").click()
    visitor.wait_for_url(re.compile(r"/signin/?\?.*notice=verified"))
    carries_the_return_address(visitor, remix)
    expect(visitor.get_by_label("Email")).to_have_value(email)
    visitor.get_by_label("Password").fill(PW)
    visitor.locator("#signin-form").get_by_role("button", name="Sign in").click()
    visitor.wait_for_url(re.compile(re.escape(remix) + "$"))
    expect(visitor.locator("#prompt")).to_have_value(PROMPT)
    expect(visitor.locator("#remix-note")).to_contain_text("new seed")
    if shots:
        visitor.screenshot(path=shots / "remix-after-sign-in-desktop-light.png")

    # Already signed in, the sign-in page passes straight on to the address.
    open_page(visitor, f"{url}/signin?next=%2Fgallery")
    visitor.wait_for_url(re.compile(r"/gallery/?$"))


def test_a_hostile_return_address_lands_on_the_app(running_app, browser):
    url = running_app.url
    page = browser.new_context().new_page()
    email = unique_email("wary")
    sign_up(page, url, email)
    verify(page, url, email)
    for attempt in ("//evil.com", "/%5Cevil.com", "https://evil.com"):
        context = browser.new_context()
        other = context.new_page()
        open_page(other, f"{url}/signin?next={attempt}")
        sign_in(other, url, email)  # waits for /app
        context.close()

