"""One lightbox in the gallery and on explore, Remix, public profiles, hidden prompts and the first-run examples,
each checked in Chromium against the running app (issue 14)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.test_accessibility_browser import VIEWPORTS, check
from tests.browser.test_accounts_browser import open_page, sign_in, sign_up, unique_email, verify
from tests.browser.test_new_user_browser import generate_local

SECRET = "orchard-secret-qx17"


def member(browser, url: str, name: str, **context_args) -> tuple[Page, str]:  # type: ignore[no-untyped-def]
    context_args.setdefault("viewport", {"width": 1360, "height": 900})
    page = browser.new_context(**context_args).new_page()
    email = unique_email("lightbox")
    sign_up(page, url, email, name=name)
    verify(page, url, email)
    sign_in(page, url, email)
    return page, email


def user_id(data_dir: Path, email: str) -> int:
    db = sqlite3.connect(data_dir / "palett.db")
    try:
        return int(db.execute("SELECT id FROM user WHERE email = ?", (email,)).fetchone()[0])
    finally:
        db.close()


def image_id(page: Page, url: str, prompt: str) -> int:
    open_page(page, f"{url}/gallery")
    link = page.locator("#gallery-grid .gallery-tile", has_text=prompt).first.locator("a.gallery-open")
    return int(link.get_attribute("data-lightbox-tile") or 0)


def publish(page: Page, url: str, image: int, *, show_prompt: bool) -> str:
    """Make an image public from its page, choosing first whether visitors see the prompt; returns the share URL."""
    open_page(page, f"{url}/image/{image}")
    choice = page.locator("#prompt-public-switch")
    expect(choice).to_have_attribute("data-state", "checked")  # shown is the default
    if not show_prompt:
        choice.click()
        expect(choice).to_have_attribute("data-state", "unchecked")
    page.locator("#public-switch").click()
    expect(page.locator("#share-url")).to_have_value(re.compile(r"/api/share/"))
    return page.locator("#share-url").input_value()


def test_the_gallery_lightbox_zooms_steps_and_gives_focus_back(running_app, browser, shots):
    url = running_app.url
    page, _ = member(browser, url, "Kite Flyer")
    generate_local(page, url, "three kites over a dune", images=3)
    open_page(page, f"{url}/gallery")
    tiles = page.locator("#gallery-grid .gallery-tile a.gallery-open")
    expect(tiles).to_have_count(3)

    tiles.nth(0).click()
    box_ = page.locator("#lightbox")
    expect(box_).to_be_visible()
    assert page.url.rstrip("/").endswith("/gallery")  # a lightbox, not a navigation
    expect(page.locator("#lightbox-position")).to_have_text("1 of 3")
    src = page.locator("#lightbox-img").get_attribute("src")
    assert src and "thumb" not in src, src
    for name in ("Download", "Edit with", "Recipe & sharing", "Favourite", "Re-run settings", "Variations",
                 "Delete"):
        expect(box_.get_by_role("link", name=name).or_(box_.get_by_role("button", name=name))).to_be_visible()

    # Zoom with the button and with +/-: the picture outgrows its box, which pans by dragging.
    expect(page.locator("#lightbox-zoom")).to_have_text("Fit")
    page.locator("#lightbox-zoom-in").click()
    expect(page.locator("#lightbox-zoom")).to_have_text("2×")
    page.keyboard.press("+")
    expect(page.locator("#lightbox-zoom")).to_have_text("3×")
    page.keyboard.press("-")
    expect(page.locator("#lightbox-zoom")).to_have_text("2×")
    pan = page.locator("#lightbox-pan")
    page.wait_for_function("() => { const p = document.getElementById('lightbox-pan');"
                           " return p.scrollWidth > p.clientWidth + 50; }")
    area = pan.bounding_box()
    assert area
    page.mouse.move(area["x"] + area["width"] / 2, area["y"] + area["height"] / 2)
    page.mouse.down()
    page.mouse.move(area["x"] + area["width"] / 2 - 120, area["y"] + area["height"] / 2 - 60, steps=4)
    page.mouse.up()
    assert pan.evaluate("p => p.scrollLeft") > 50
    page.wait_for_timeout(300)
    if shots:
        page.screenshot(path=shots / "gallery-lightbox-zoomed-desktop-light.png")

    # Arrows walk the gallery's order (zoom resets); Escape closes and focuses the tile last shown.
    page.keyboard.press("ArrowRight")
    expect(page.locator("#lightbox-position")).to_have_text("2 of 3")
    expect(page.locator("#lightbox-zoom")).to_have_text("Fit")
    page.locator("#lightbox-favorite").click()
    expect(page.locator("#lightbox-favorite")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Escape")
    expect(box_).to_have_count(0)
    expect(tiles.nth(1)).to_be_focused()
    expect(page.locator("#gallery-grid .gallery-tile").nth(1).locator(".tile-star")).to_have_attribute(
        "aria-pressed", "true")

    # Delete from the lightbox, after a confirmation: the next picture takes its place.
    tiles.nth(0).click()
    page.locator("#lightbox-delete").click()
    page.locator("#confirm-delete-shown").click()
    expect(page.locator("#lightbox-position")).to_have_text("1 of 2")
    expect(tiles).to_have_count(2)

    # Variations: the same recipe with a new seed, submitted at once; its job shows in the studio.
    page.locator("#lightbox-variations").click()
    page.wait_for_url(re.compile(r"/studio/?$"))
    expect(page.locator(".job-card", has_text="three kites over a dune")).to_have_count(2)

    phone = browser.new_context(viewport=VIEWPORTS["phone"], color_scheme="dark",
                                storage_state=page.context.storage_state()).new_page()
    open_page(phone, f"{url}/gallery")
    phone.locator("#gallery-grid .gallery-tile a.gallery-open").first.click()
    expect(phone.locator("#lightbox-img")).to_be_visible()
    phone.locator("#lightbox-zoom-in").click()
    expect(phone.locator("#lightbox-zoom")).to_have_text("2×")
    phone.wait_for_timeout(300)
    if shots:
        phone.screenshot(path=shots / "gallery-lightbox-phone-dark.png")


def test_explore_lightbox_remix_profile_and_a_hidden_prompt(running_app, browser, shots):
    url = running_app.url
    author, email = member(browser, url, "Orla Orchard")
    generate_local(author, url, f"an apple {SECRET} at dawn")
    generate_local(author, url, "a windmill at noon, public prompt")
    hidden_share = publish(author, url, image_id(author, url, SECRET), show_prompt=False)
    publish(author, url, image_id(author, url, "windmill at noon"), show_prompt=True)
    profile = f"/u/{user_id(running_app.data_dir, email)}-orla-orchard"

    # A signed-out visitor: the hidden prompt is nowhere, not in the page nor in any websocket frame.
    visitor = browser.new_context(viewport={"width": 1360, "height": 900}).new_page()
    frames: list[str] = []
    visitor.on("websocket", lambda ws: ws.on("framereceived", lambda data: frames.append(str(data))))
    open_page(visitor, f"{url}/explore")
    mine = visitor.locator("#explore-grid .explore-tile", has_text="Orla Orchard")
    expect(mine).to_have_count(2)
    hidden_tile = mine.filter(has_text="Prompt not shown")
    expect(hidden_tile).to_have_count(1)
    hidden_tile.locator("a.gallery-open").click()
    box_ = visitor.locator("#lightbox")
    expect(box_).to_be_visible()
    expect(visitor.locator("#lightbox-prompt")).to_have_text("Prompt not shown")
    expect(visitor.locator("#lightbox-remix")).to_have_attribute("href", re.compile(r"/studio\?remix="))
    expect(visitor.locator("#lightbox-download")).to_have_attribute("href", re.compile(r"/api/share/.+/image$"))
    expect(visitor.locator("#lightbox-author")).to_have_attribute("href", profile)
    visitor.keyboard.press("ArrowLeft")
    visitor.keyboard.press("ArrowRight")
    expect(visitor.locator("#lightbox-prompt")).to_have_text("Prompt not shown")
    visitor.keyboard.press("Escape")
    expect(box_).to_have_count(0)
    expect(hidden_tile.locator("a.gallery-open")).to_be_focused()
    assert SECRET not in visitor.content()
    assert frames and not any(SECRET in f for f in frames), "the hidden prompt reached the browser"
    open_page(visitor, hidden_share)
    assert SECRET not in visitor.content()
    expect(visitor.get_by_role("link", name="Remix")).to_be_visible()

    # The author's name on a tile leads to their public page: both public images, their likes, the lightbox.
    open_page(visitor, f"{url}/explore")
    visitor.locator("#explore-grid .explore-tile", has_text="windmill at noon").get_by_role(
        "link", name="Orla Orchard").click()
    visitor.wait_for_url(re.compile(re.escape(profile) + "$"))
    expect(visitor.locator("#profile-name")).to_have_text("Orla Orchard")
    expect(visitor.locator("#profile-likes")).to_have_text("0 likes")
    expect(visitor.locator("#profile-grid .explore-tile")).to_have_count(2)
    visitor.locator("#profile-grid a.gallery-open").first.click()
    expect(visitor.locator("#lightbox-position")).to_have_text("1 of 2")
    visitor.keyboard.press("Escape")
    expect(visitor.locator("#lightbox")).to_have_count(0)
    assert SECRET not in visitor.content() and not any(SECRET in f for f in frames)
    if shots:
        visitor.screenshot(path=shots / "public-page-desktop-light.png")
    found: list[str] = []
    check(visitor, profile, "desktop", found)
    phone = browser.new_context(viewport=VIEWPORTS["phone"]).new_page()
    open_page(phone, url + profile)
    expect(phone.locator("#profile-grid .explore-tile")).to_have_count(2)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    check(phone, profile, "phone", found)
    assert not found, "\n".join(found)

    # A signed-in visitor likes it, then remixes: the studio gets the model and settings, a new seed, and the
    # prompt only where the author shows it.
    fan, _ = member(browser, url, "Fan Person")
    open_page(fan, f"{url}/explore")
    fan.locator("#explore-grid .explore-tile", has_text="windmill at noon").locator("a.gallery-open").click()
    fan.locator("#lightbox-like").click()
    expect(fan.locator("#lightbox-like")).to_have_attribute("aria-pressed", "true")
    fan.locator("#lightbox-remix").click()
    fan.wait_for_url(re.compile(r"/studio\?remix="))
    expect(fan.locator("#prompt")).to_have_value("a windmill at noon, public prompt")
    expect(fan.locator("#remix-note")).to_contain_text("new seed")
    open_page(fan, f"{url}/explore")
    fan.locator("#explore-grid .explore-tile", has_text="Prompt not shown").first.locator("a.gallery-open").click()
    fan.locator("#lightbox-remix").click()
    fan.wait_for_url(re.compile(r"/studio\?remix="))
    expect(fan.locator("#remix-note")).to_contain_text("write your own")
    expect(fan.locator("#prompt")).to_have_value("")
    open_page(visitor, url + profile)
    expect(visitor.locator("#profile-likes")).to_have_text("1 like")


def test_an_empty_profile_says_what_to_do_and_reveals_no_name(running_app, browser):
    url = running_app.url
    page, email = member(browser, url, "Quiet Quentin")
    path = f"/u/{user_id(running_app.data_dir, email)}"
    open_page(page, f"{url}/profile")  # the account's profile page links the public one
    page.locator("#public-page-link").click()
    page.wait_for_url(re.compile(re.escape(path) + "-quiet-quentin$"))
    expect(page.locator("#profile-empty")).to_contain_text("Share an image to fill your page")
    expect(page.locator("#profile-empty").get_by_role("link", name="Go to your gallery")).to_be_visible()
    stranger = browser.new_context().new_page()
    open_page(stranger, url + path)
    expect(stranger.locator("#profile-empty")).to_contain_text("Nothing shared here yet")
    expect(stranger.locator("#profile-empty").get_by_role("link", name="Explore shared images")).to_be_visible()
    assert "Quentin" not in stranger.content()
    open_page(stranger, f"{url}/u/not-a-person")
    expect(stranger.locator("#profile-empty")).to_contain_text("Nothing shared here yet")


def test_the_empty_studio_offers_example_prompts(running_app, browser, shots):
    url = running_app.url
    page, _ = member(browser, url, "New Starter")
    open_page(page, f"{url}/studio")
    examples = page.locator(".example-card")
    expect(examples).to_have_count(4)
    expect(examples.first.locator("img")).to_have_js_property("complete", True)
    assert examples.first.locator("img").evaluate("i => i.naturalWidth") > 0
    if shots:
        page.screenshot(path=shots / "studio-first-run-desktop-light.png")
    page.locator("#example-fox").click()
    expect(page.locator("#prompt")).to_have_value(re.compile(r"^A red fox made of layered paper"))
    expect(page.locator("#prompt")).to_be_focused()


def test_the_image_page_draws_its_picture_before_its_state_arrives(running_app, browser):
    url = running_app.url
    page, _ = member(browser, url, "Early Bird")
    generate_local(page, url, "two gulls on a pier", images=2)
    newest = image_id(page, url, "two gulls on a pier")
    picture = f"/api/library/images/{newest}/view?size=display"
    assert f'<link rel="preload" as="image" href="{picture}"' in page.request.get(f"{url}/image/{newest}").text()

    # With the socket going nowhere no state ever comes, and the picture still shows: it is named by the path.
    offline = page.context.new_page()
    offline.route_web_socket(re.compile(r"/_event"), lambda socket: None)
    offline.goto(f"{url}/image/{newest}")
    expect(offline.locator("#viewer-img")).to_have_attribute("src", picture)
    offline.wait_for_function("() => { const img = document.querySelector('#viewer-img');"
                              " return img.complete && img.naturalWidth > 0; }")
    expect(offline.locator("[aria-busy='true']")).to_have_attribute("aria-label", "Loading the image's details")
    expect(offline.locator("#image-prompt")).to_have_count(0)
    # Nor does a signed-in person see "Sign in" in the header before the session is known (the hint cookie).
    expect(offline.locator(".guest-nav")).to_be_hidden()
    offline.goto(f"{url}/app")  # nor a balance of 0 or "Unverified" drawn for nobody
    expect(offline.get_by_text("Your studio account is ready.")).to_be_visible()
    expect(offline.locator("#home-credits")).to_be_hidden()
    expect(offline.get_by_text("Unverified")).to_be_hidden()
    # The gallery's HTML holds the newest thumbnails (palett/api/first_screen.py), drawn with no state at all.
    offline.goto(f"{url}/gallery")
    expect(offline.locator("#gallery-loading a[href^='/image/'] img")).to_have_count(2)
    expect(offline.locator(f"#gallery-loading a[href='/image/{newest}']")).to_be_visible()
    offline.wait_for_function("() => [...document.querySelectorAll('#gallery-loading img')]"
                              ".every(img => img.complete && img.naturalWidth > 0)")
    offline.close()
    visitor = browser.new_context().new_page()
    visitor.route_web_socket(re.compile(r"/_event"), lambda socket: None)
    visitor.goto(f"{url}/explore")
    expect(visitor.get_by_role("link", name="Sign in")).to_be_visible()  # no hint: the guest's header at once
    visitor.context.close()

    # With the state the real grid replaces those tiles, with the same picture addresses: nothing is fetched twice.
    media: list[str] = []
    page.on("request", lambda request: media.append(request.url) if "/api/media/" in request.url else None)
    open_page(page, f"{url}/gallery")
    grid = page.locator("#gallery-grid .gallery-thumb")
    expect(grid).to_have_count(2)
    page.wait_for_function("() => [...document.querySelectorAll('#gallery-grid img')].every(img => img.complete)")
    assert sorted(set(media)) == sorted(page.evaluate(
        "() => [...document.querySelectorAll('#gallery-grid .gallery-thumb')].map(img => img.src)"))

    # With the state the details come, and the arrow swaps the picture for its neighbour's at once.
    open_page(page, f"{url}/image/{newest}")
    expect(page.locator("#image-prompt")).to_have_text("two gulls on a pier")
    expect(page.locator("#viewer-img")).to_have_attribute("width", re.compile(r"^[1-9][0-9]*$"))
    page.locator("#next-image").click()
    page.wait_for_url(lambda address: re.search(r"/image/\d+$", address) is not None
                      and not address.endswith(f"/image/{newest}"))
    older = int(page.url.rsplit("/", 1)[-1])
    expect(page.locator("#viewer-img")).to_have_attribute("src", f"/api/library/images/{older}/view?size=display")
    page.wait_for_function("() => { const img = document.querySelector('#viewer-img');"
                           " return img.complete && img.naturalWidth > 0; }")

    # An id that is not theirs: the page says so, and no broken picture is drawn on the way.
    open_page(page, f"{url}/image/987654321")
    expect(page.locator("#image-missing")).to_be_visible()
    expect(page.locator("#viewer-img")).to_have_count(0)
