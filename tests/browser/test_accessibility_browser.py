"""Accessibility checked, not assumed: axe-core runs on every page, light and dark, desktop and phone.

Any serious or critical violation fails the test, listed as page, theme, viewport, rule, impact and target.
axe-core's script is bundled in axe-playwright-python (nothing is fetched): the test also asserts that no
request leaves the machine.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.test_accounts_browser import open_page, sign_in, sign_up, unique_email, verify
from tests.browser.test_editor_browser import upload
from tests.browser.test_library_browser import generate, open_gallery, tiles

VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
SCHEMES = ("light", "dark")
BLOCKING = {"serious", "critical"}
PROMPT = "a quiet harbour at dusk, paper lanterns"
AXE = Axe()
# Selectors axe may skip, each with the reason (only for markup the app cannot reach). Empty: none needed.
EXCLUDE: list[list[str]] = []

SIGNED_OUT = ("/", "/signin", "/signup", "/forgot", "/no-such-page", "/explore")


def load_editor(page: Page, url: str) -> None:
    open_page(page, f"{url}/edit")
    upload(page, "astronaut.png")


def make_key(page: Page, url: str) -> None:
    """The Developers page with its forms, the secret shown once and the key list all on screen."""
    open_page(page, f"{url}/developers")
    page.get_by_label("Key name").fill("axe")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#new-key-secret")).to_be_visible()


@dataclass
class Member:
    email: str
    image_path: str


@pytest.fixture(scope="module")
def member(running_app, browser) -> Member:
    """One verified admin with one finished image (studio results, gallery, image page all have content)."""
    url = running_app.url
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    email = unique_email("a11y")
    sign_up(page, url, email, name="Alt Text")
    verify(page, url, email)
    db = sqlite3.connect(running_app.data_dir / "palett.db")
    try:  # admin, so the admin pages are checked too
        db.execute("UPDATE user SET role = 'admin' WHERE email = ?", (email,))
        db.commit()
    finally:
        db.close()
    sign_in(page, url, email)
    generate(page, url, PROMPT)
    open_gallery(page, url)
    tiles(page).first.get_by_role("link").click()
    page.locator("#lightbox-recipe").click()  # a tile opens the lightbox; its page is a link away
    page.wait_for_url(re.compile(r"/image/\d+$"))
    image_path = urlsplit(page.url).path
    context.close()
    return Member(email, image_path)


def check(page: Page, where: str, label: str, found: list[str]) -> None:
    """Run axe in both themes on the page as loaded; record every serious or critical violation."""
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        expect(page.locator("html")).to_have_class(re.compile(rf"\b{scheme}\b"))
        page.wait_for_timeout(150)  # let colour transitions settle before contrast is measured
        context = {"exclude": EXCLUDE} if EXCLUDE else None
        results = AXE.run(page, context=context, options={"resultTypes": ["violations"]})
        for violation in results.response["violations"]:
            if violation.get("impact") not in BLOCKING:
                continue
            for node in violation["nodes"]:
                if node.get("impact") in BLOCKING:
                    found.append(f"{where} [{scheme} {label}] {violation['id']} ({node['impact']}): "
                                 f"{' '.join(map(str, node['target']))} :: {node.get('failureSummary', '')[:160]!r}")


def assert_tables_scroll_in_their_region(page: Page, where: str, found: list[str]) -> None:
    """A wide table scrolls in its focusable, named .table-scroll box; Radix's inner viewport never scrolls."""
    inner = page.evaluate("""() => [...document.querySelectorAll('.table-scroll .rt-ScrollAreaViewport')]
        .filter(v => [v, v.parentElement, v.closest('.rt-TableRoot')]
            .some(e => getComputedStyle(e).overflowX !== 'visible')).length""")
    unnamed = page.evaluate("""() => [...document.querySelectorAll('.table-scroll')]
        .filter(b => b.tabIndex !== 0 || !b.getAttribute('aria-label')).map(b => b.id)""")
    if inner or unnamed:
        found.append(f"{where}: {inner} table viewports clip or scroll on their own; "
                     f"regions without focus or name: {unnamed}")


@pytest.mark.parametrize("label", list(VIEWPORTS))
def test_every_page_has_no_serious_axe_violation(running_app, browser, member, label):
    url = running_app.url
    context = browser.new_context(viewport=VIEWPORTS[label])
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url)
            if urlsplit(r.url).hostname not in ("localhost", "127.0.0.1") and not r.url.startswith(("data:", "blob:"))
            else None)
    found: list[str] = []

    for path in SIGNED_OUT:
        open_page(page, url + path)
        check(page, path, label, found)

    sign_in(page, url, member.email)
    signed_in: list[tuple[str, Callable[[], None]]] = [
        (path, lambda p=path: open_page(page, url + p))
        for path in ("/app", "/studio", "/gallery", member.image_path, "/usage", "/billing", "/settings",
                     "/profile", "/admin", "/explore")
    ]
    signed_in.insert(2, ("/edit (image loaded)", lambda: load_editor(page, url)))
    signed_in.append(("/developers (a key just made)", lambda: make_key(page, url)))
    for where, go in signed_in:
        go()
        if where == "/studio":  # the finished job from the fixture is listed
            expect(page.locator(".job-card", has_text=PROMPT).first).to_be_visible()
        check(page, where, label, found)
        if where in ("/usage", "/admin"):
            assert_tables_scroll_in_their_region(page, where, found)
    context.close()

    assert not outside, f"requests left the machine: {outside[:5]}"
    assert not found, f"{len(found)} serious/critical axe violations:\n" + "\n".join(found)
