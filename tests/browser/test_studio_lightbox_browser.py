"""The studio's lightbox lives in its own substate (issue 14): opening it sends and redraws the dialog only."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.test_accounts_browser import open_page
from tests.browser.test_lightbox_browser import member
from tests.browser.test_new_user_browser import generate_local


def test_opening_the_studio_lightbox_sends_only_the_lightbox_substate(running_app, browser):
    """The studio's form and feed are not sent again (nor redrawn) when a picture is opened or stepped through."""
    url = running_app.url
    page, _ = member(browser, url, "Quick Opener")
    generate_local(page, url, "a quick lighthouse at dusk", images=2)
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda data: frames.append(str(data))))
    open_page(page, f"{url}/studio")
    tiles = page.locator(".job-card", has_text="quick lighthouse").locator(".result-tile")
    expect(tiles).to_have_count(2)
    frames.clear()
    tiles.first.click()
    expect(page.locator("#lightbox-position")).to_have_text("1 of 2")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#lightbox-position")).to_have_text("2 of 2")
    deltas = [f for f in frames if "delta" in f]
    assert any("studio_lightbox" in f for f in deltas), deltas
    assert not any(re.search(r'studio_state"\s*:', f) for f in deltas), deltas  # the studio's own state: untouched
