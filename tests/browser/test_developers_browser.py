"""The Developers page in a browser: make a key (shown once), use it from outside with httpx, revoke it (401)."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

from tests.browser.test_accounts_browser import open_page, sign_in, sign_up, unique_email, verify


def test_a_key_is_shown_once_works_and_stops_working_when_revoked(running_app, browser, shots):
    url = running_app.url
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    email = unique_email("dev")
    sign_up(page, url, email, name="Grace Hopper")
    verify(page, url, email)
    sign_in(page, url, email)
    page.locator("#user-menu").click()  # the account menu links to the page
    page.get_by_role("link", name="Developers").click()
    page.wait_for_url(re.compile(r"/developers/?$"))
    page.wait_for_load_state("networkidle")
    expect(page.locator("#api-base")).to_have_text(f"{url}/api/v1")

    page.get_by_label("Key name").fill("build server")
    delete = page.get_by_label("Delete")
    delete.click()  # read and generate are ticked already; the box follows the server's state
    expect(delete).to_be_checked()
    page.get_by_role("button", name="Create key").click()
    secret_box = page.locator("#new-key-secret")
    expect(secret_box).to_have_text(re.compile(r"^plt_[0-9a-f]{8}_\S+$"))
    expect(page.locator("#new-key")).to_contain_text("you won't see it again")
    secret = secret_box.inner_text()
    prefix = "_".join(secret.split("_")[:2])  # plt_<8 hex>; the rest (urlsafe, may hold "_") is the secret
    row = page.locator(".key-row", has_text="build server")
    expect(row).to_contain_text(prefix)
    expect(row).to_contain_text("generate")
    expect(row).to_contain_text("Never")
    if shots:
        page.screenshot(path=str(shots / "developers-desktop-light.png"), full_page=True)

    me = httpx.get(f"{url}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}, timeout=10)
    assert me.status_code == 200 and me.json()["email"] == email
    assert sorted(me.json()["scopes"]) == ["delete", "generate", "read"]

    page.get_by_role("button", name="Done, I've saved it").click()
    expect(secret_box).to_have_count(0)
    open_page(page, f"{url}/developers")  # shown once: not after a reload either
    assert secret not in page.content()
    expect(row).not_to_contain_text("Never")  # last used is kept

    row.get_by_role("button", name="Revoke key build server").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text(prefix)
    dialog.get_by_role("button", name="Revoke key").click()
    expect(row).to_contain_text("Revoked")
    expect(row.get_by_role("button", name=re.compile("Revoke"))).to_have_count(0)
    gone = httpx.get(f"{url}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}, timeout=10)
    assert gone.status_code == 401 and gone.headers["content-type"].startswith("application/problem+json")
    page.set_viewport_size({"width": 390, "height": 844})  # the phone layout: nothing wider than the screen
    page.emulate_media(color_scheme="dark")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    if shots:
        page.screenshot(path=str(shots / "developers-phone-dark.png"), full_page=True)
    context.close()
