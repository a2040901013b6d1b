"""A person's first minutes with Palett, in Chromium against the running app."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

PW = "violet-otter-lamp-42"


def unique_email(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:6]}@example.com"


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")


def open_mail_link(page: Page, app_url: str, to: str, kind: str) -> None:
    open_page(page, f"{app_url}/dev/outbox")
    card = page.locator(".mail-card", has_text=to).filter(has_text=kind).first
    expect(card).to_be_visible()
    href = card.locator("a.outbox-link").first.get_attribute("href")
    assert href and f"/{kind}?token=" in href
    open_page(page, href)


def sign_up(page: Page, url: str, email: str, name: str = "Ada Lovelace") -> None:
    open_page(page, f"{url}/signup")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PW)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(re.compile(r"/signin/?\?notice=check_email"))
    expect(page.get_by_role("status")).to_contain_text("Check your inbox")


def verify(page: Page, url: str, email: str) -> None:
    open_mail_link(page, url, email, "verify")
    page.get_by_role("button", name="Verify my email").click()
    page.wait_for_url(re.compile(r"/signin/?\?notice=verified"))
    expect(page.get_by_role("status")).to_contain_text("Your email is verified")


def sign_in(page: Page, url: str, email: str, password: str = PW) -> None:
    if "/signin" not in page.url:
        open_page(page, f"{url}/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.locator("#signin-form").get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/app/?$"))


def test_sign_up_verify_sign_in_theme_and_sign_out(running_app, browser, shots):
    url = running_app.url
    context = browser.new_context(color_scheme="light", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    email = unique_email("ada")
    sign_up(page, url, email)

    # Signing in before verifying is refused with a clear message.
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PW)
    page.locator("#signin-form").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("verify your email")

    verify(page, url, email)
    expect(page.get_by_label("Email")).to_have_value(email)  # prefilled from the verify redirect
    sign_in(page, url, email)
    expect(page.locator("#credits-balance")).to_have_text("10")
    expect(page.get_by_role("heading", name=re.compile("Welcome, Ada Lovelace"))).to_be_visible()
    expect(page.get_by_text("Welcome credits")).to_be_visible()
    # The session cookie is invisible to page scripts.
    assert "palett_session" not in page.evaluate("document.cookie")

    page.locator("#theme-toggle").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))
    page.reload()
    page.wait_for_load_state("networkidle")
    expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))

    page.locator("#user-menu").click()
    page.locator("#sign-out").click()
    page.wait_for_url(re.compile(r"/\?notice=bye"))
    expect(page.get_by_role("status")).to_contain_text("signed out")
    open_page(page, f"{url}/settings")
    page.wait_for_url(re.compile(r"/signin/?\?error=signed_out"))
    context.close()


def test_wrong_password_and_weak_password_messages(running_app, browser):
    url = running_app.url
    page = browser.new_context().new_page()
    open_page(page, f"{url}/signup")
    page.get_by_label("Email").fill(unique_email("weak"))
    page.get_by_label("Password").fill("password1234")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_contain_text("at least 10 characters")
    open_page(page, f"{url}/signin")
    page.get_by_label("Email").fill(unique_email("nobody"))
    page.get_by_label("Password").fill("not-the-password")
    page.locator("#signin-form").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong email or password")


def test_forgot_password_reset_and_sign_in_with_the_new_one(running_app, browser):
    url = running_app.url
    page = browser.new_context().new_page()
    email = unique_email("reset")
    sign_up(page, url, email)
    verify(page, url, email)
    open_page(page, f"{url}/forgot")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("status")).to_contain_text("reset link is on its way")
    open_mail_link(page, url, email, "reset")
    new = "a-brand-new-passphrase"
    page.get_by_label("New password", exact=True).fill(new)
    page.get_by_label("Repeat new password").fill(new)
    page.get_by_role("button", name="Save new password").click()
    page.wait_for_url(re.compile(r"/signin/?\?notice=password_reset"))
    sign_in(page, url, email, new)
    expect(page.locator("#credits-balance")).to_have_text("10")


def test_revoking_a_session_signs_the_other_browser_out(running_app, browser):
    url = running_app.url
    email = unique_email("two")
    laptop = browser.new_context(user_agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0").new_page()
    sign_up(laptop, url, email)
    verify(laptop, url, email)
    sign_in(laptop, url, email)
    phone = browser.new_context(
        user_agent="Mozilla/5.0 (Linux; Android 14) Chrome/156.0 Mobile", viewport={"width": 390, "height": 844}
    ).new_page()
    sign_in(phone, url, email)

    open_page(laptop, f"{url}/settings")
    rows = laptop.locator(".session-row")
    expect(rows).to_have_count(2)
    other = rows.filter(has_text="Android").filter(has_not_text="This device")
    other.get_by_role("button", name=re.compile("Revoke")).click()
    expect(rows).to_have_count(1)

    open_page(phone, f"{url}/settings")
    phone.wait_for_url(re.compile(r"/signin/?\?error=signed_out"))
    expect(phone.get_by_role("alert")).to_contain_text("Please sign in")


def test_screenshots_light_and_dark(running_app, browser, shots):
    """Landing, sign-in and settings in both themes, desktop and phone: the README's pictures."""
    url = running_app.url
    email = unique_email("shots")
    setup = browser.new_context().new_page()
    sign_up(setup, url, email, name="Grace Hopper")
    verify(setup, url, email)
    for scheme in ("light", "dark"):
        for label, viewport in (("desktop", {"width": 1280, "height": 860}), ("phone", {"width": 390, "height": 844})):
            context = browser.new_context(color_scheme=scheme, viewport=viewport)
            page = context.new_page()
            open_page(page, f"{url}/")
            page.screenshot(path=shots / f"landing-{label}-{scheme}.png", full_page=label == "desktop")
            open_page(page, f"{url}/signin")
            page.screenshot(path=shots / f"signin-{label}-{scheme}.png")
            sign_in(page, url, email)
            open_page(page, f"{url}/settings")
            expect(page.get_by_role("heading", name="Settings")).to_be_visible()
            page.screenshot(path=shots / f"settings-{label}-{scheme}.png", full_page=True)
            # Every button and input on the page has an accessible name.
            unnamed = page.evaluate("""() => [...document.querySelectorAll('button, input:not([type=hidden]), a')]
                .filter(e => !(e.getAttribute('aria-label') || e.labels?.length || e.textContent.trim()
                               || e.getAttribute('title') || e.querySelector('img[alt]:not([alt=""])')))
                .map(e => e.outerHTML.slice(0, 120))""")
            assert unnamed == [], unnamed
            context.close()
