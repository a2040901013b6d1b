"""In Chromium against the real app (Reflex prod build, one port): every page works with the CSP
enforced, and a page of another origin on the same site cannot use the signed-in user's cookie.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect
from starlette.responses import HTMLResponse
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.browser.test_accounts_browser import open_page, sign_in, sign_up, unique_email, verify
from tests.browser.test_library_browser import generate, open_gallery, tiles
from tests.fakes.server import serve_in_thread

CSP_WORDS = ("Content Security Policy", "Content-Security-Policy", "Refused to")

# What a hostile page on http://localhost:<another port> tries with the visitor's cookies.
STEAL = """async (app) => {
  const out = {};
  try {
    const r = await fetch(app + "/api/library/export", {credentials: "include"});
    out.export = "read " + r.status + " " + (await r.arrayBuffer()).byteLength + " bytes";
  } catch (e) { out.export = "blocked"; }
  out.socket = await new Promise((resolve) => {
    const ws = new WebSocket(app.replace("http", "ws") + "/_event/?EIO=4&transport=websocket");
    const timer = setTimeout(() => resolve("no answer"), 8000);
    ws.onmessage = (m) => { clearTimeout(timer); ws.close(); resolve("open: " + String(m.data).slice(0, 60)); };
    ws.onerror = () => { clearTimeout(timer); resolve("refused"); };
  });
  return out;
}"""


def watch_console(page: Page) -> list[str]:
    """CSP violations as Chromium reports them: console errors plus `securitypolicyviolation` events."""
    seen: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if any(word in message.text for word in CSP_WORDS):
            seen.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.context.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'Refused to load (Content Security Policy) ' + e.violatedDirective + ' ' + e.blockedURI));")
    return seen


def visit(page: Page, url: str) -> None:
    response = page.goto(url)
    page.wait_for_load_state("networkidle")
    assert response is not None and response.ok, url
    policy = response.headers.get("content-security-policy", "")
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, url
    assert response.headers.get("x-content-type-options") == "nosniff", url


def test_every_page_works_with_the_csp_enforced(running_app, browser):
    url = running_app.url
    page = browser.new_context(viewport={"width": 1360, "height": 900}).new_page()
    violations = watch_console(page)

    for path in ("/", "/signin", "/signup", "/forgot", "/reset?token=x", "/verify?token=x", "/explore", "/dev/outbox"):
        visit(page, url + path)
    email = unique_email("csp")
    sign_up(page, url, email)  # form posts, the outbox and its links all work under the policy
    verify(page, url, email)
    sign_in(page, url, email)

    generate(page, url, "a paper boat on a puddle, morning light")  # the websocket, jobs and images live
    open_gallery(page, url)
    expect(tiles(page).first.locator("img")).to_have_js_property("complete", True)
    tiles(page).first.get_by_role("link").click()
    page.locator("#lightbox-recipe").click()  # a tile opens the lightbox; its page is a link away
    page.wait_for_url(re.compile(r"/image/\d+$"))
    image_url = page.url
    expect(page.locator("#image-prompt")).to_have_text("a paper boat on a puddle, morning light")

    for path in ("/app", "/studio", "/edit", "/gallery", "/usage", "/billing", "/settings", "/profile",
                 "/explore", "/admin", "/dev/components"):
        visit(page, url + path)
    visit(page, image_url)
    expect(page.locator("#image-prompt")).to_have_text("a paper boat on a puddle, morning light")
    assert not violations, "\n".join(sorted(set(violations))[:10])


def test_another_origin_of_the_same_site_cannot_use_the_visitors_cookie(running_app, browser):
    url = running_app.url
    page = browser.new_context().new_page()
    email = unique_email("victim")
    sign_up(page, url, email)
    verify(page, url, email)
    sign_in(page, url, email)

    async def hostile(scope, receive, send) -> None:
        await HTMLResponse("<!doctype html><title>Free wallpapers</title>")(scope, receive, send)

    base, stop = serve_in_thread(hostile)
    try:
        other_origin = base.replace("127.0.0.1", "localhost")  # same site as the app: the cookie travels
        open_page(page, other_origin + "/")
        stolen = page.evaluate(STEAL, url)
    finally:
        stop()
    assert stolen == {"export": "blocked", "socket": "refused"}

    # The same calls from the app's own origin still work for the visitor.
    open_page(page, url + "/app")
    own = page.evaluate(STEAL, url)
    assert own["export"].startswith("read 200") and own["socket"].startswith("open: 0{")


def test_granian_answers_a_foreign_websocket_handshake_with_403(running_app):
    """The production server (Granian, behind Reflex) turns the refusal into a plain 403 too."""
    socket_url = running_app.url.replace("http://", "ws://") + "/_event/?EIO=4&transport=websocket"
    with pytest.raises(InvalidStatus) as refused:
        connect(socket_url, origin="http://localhost:1", open_timeout=10)
    assert refused.value.response.status_code == 403
    with connect(socket_url, origin=running_app.url, open_timeout=10) as ws:
        assert ws.recv(timeout=10).startswith("0{")
