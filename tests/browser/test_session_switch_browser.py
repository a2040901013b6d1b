"""One browser tab, two people: after A signs out and B signs in in the same tab, no websocket frame carries
anything of A's (issue 11, item 2: Reflex keys state by a per-tab token that outlives sign-out)."""

from __future__ import annotations

import re

from playwright.sync_api import WebSocket, expect

from tests.browser.test_accounts_browser import open_page, sign_in, sign_up, unique_email, verify
from tests.browser.test_studio_browser import pick_model

A_PROMPT = "a lighthouse only alice has seen"


def test_the_next_user_of_a_tab_receives_nothing_of_the_previous_one(running_app, browser):
    url = running_app.url
    a_email, b_email = unique_email("alice"), unique_email("bob")
    setup = browser.new_context().new_page()  # both sign up elsewhere: the dev outbox lists everyone's mail
    for email in (a_email, b_email):
        sign_up(setup, url, email)
        verify(setup, url, email)
    setup.context.close()

    page = browser.new_context(viewport={"width": 1360, "height": 900}).new_page()
    sign_in(page, url, a_email)
    open_page(page, f"{url}/studio")
    pick_model(page, "Local preview — not AI")
    page.get_by_label("Prompt", exact=True).fill(A_PROMPT)
    page.locator("#generate").click()
    card = page.locator(".job-card").first
    expect(card.locator(".job-status")).to_have_text("Done", timeout=30_000)
    src = card.locator("img.result-img").get_attribute("src") or ""
    media = re.search(r"/api/media/[^?\"]+", src)
    assert media, src
    for path in ("/settings", "/usage", "/gallery"):  # A's ledger, usage and gallery now sit in this tab's state
        open_page(page, f"{url}{path}")
    expect(page.locator(f'img[alt="{A_PROMPT}"]').first).to_be_visible()
    a_image = page.locator("#gallery-grid a.gallery-open").first.get_attribute("data-lightbox-tile")
    open_page(page, f"{url}/image/{a_image}")  # A's picture, fetched by this browser through its id
    page.wait_for_function("() => document.querySelector('#viewer-img')?.naturalWidth > 0")

    frames: list[str] = []

    def record(ws: WebSocket) -> None:
        ws.on("framereceived", lambda payload: frames.append(payload if isinstance(payload, str) else
                                                            payload.decode("utf-8", "replace")))

    page.on("websocket", record)  # every socket opened from here on: after the sign-out navigation
    page.locator("#user-menu").click()
    page.locator("#sign-out").click()
    page.wait_for_url(re.compile(r"/\?notice=bye"))
    sign_in(page, url, b_email)
    for path in ("/settings", "/gallery", "/usage", "/studio"):
        open_page(page, f"{url}{path}")
    expect(page.locator("#credits-balance")).to_have_text("10")
    # The browser's cache must not hand B A's picture by its id: for B that address is a 404, so any picture
    # that loads from it came from A's session (a cached redirect to A's signed URL).
    page.add_init_script("document.addEventListener('load', e => { if (e.target.tagName === 'IMG')"
                         " (window.__loaded ||= []).push(e.target.src); }, true);"
                         "document.addEventListener('error', e => { if (e.target.tagName === 'IMG')"
                         " (window.__failed ||= []).push(e.target.src); }, true);")
    open_page(page, f"{url}/image/{a_image}")
    expect(page.locator("#image-missing")).to_be_visible()
    view = f"/api/library/images/{a_image}/view"
    assert not any(view in src for src in page.evaluate("window.__loaded || []")), "B was shown A's picture"
    assert any(view in src for src in page.evaluate("window.__failed || []"))  # it was asked, and refused
    response = page.request.get(f"{url}/api/library/images/{a_image}/view?size=display", max_redirects=0)
    assert response.status == 404

    received = "\n".join(frames)
    assert b_email in received  # the recording works: B's own data arrived
    for secret in (a_email, A_PROMPT, media.group(0)):
        assert secret not in received, f"{secret!r} reached the next user of the tab"
