"""The library as a person uses it: find, star, collect, open, re-run, share, delete; a long scroll; usage; profile."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.test_accounts_browser import open_page, sign_in, sign_up, unique_email, verify
from tests.browser.test_studio_browser import pick_model, set_images, signed_in_page

FIXTURES = Path(__file__).parents[1] / "fixtures"
PROMPT = "a lonely lighthouse on a basalt cliff, long exposure"
MAX_IMAGES_IN_DOM = 200


def generate(page: Page, url: str, prompt: str, images: int = 1) -> None:
    open_page(page, f"{url}/studio")
    pick_model(page, "Local preview — not AI")
    page.locator("#prompt").fill(prompt)
    set_images(page, images)
    page.locator("#generate").click()
    card = page.locator(".job-card", has_text=prompt).first
    expect(card.locator(".job-status")).to_have_text("Done", timeout=60_000)


def signed_in(browser, url: str) -> tuple[Page, str]:  # type: ignore[no-untyped-def]
    """signed_in_page, also telling the email (to find the user's rows in the database)."""
    page = browser.new_context(viewport={"width": 1360, "height": 900}).new_page()
    email = unique_email("library")
    sign_up(page, url, email)
    verify(page, url, email)
    sign_in(page, url, email)
    return page, email


def tiles(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("#gallery-grid .gallery-tile")


def open_gallery(page: Page, url: str) -> None:
    open_page(page, f"{url}/gallery")
    expect(page.get_by_role("heading", name="Gallery", exact=True)).to_be_visible()


def test_find_star_collect_rerun_share_and_bulk_delete(running_app, browser, shots):
    url = running_app.url
    page = signed_in_page(browser, url)

    # A new user's gallery says what to do first.
    open_gallery(page, url)
    expect(page.locator("#gallery-empty")).to_contain_text("Your gallery is empty")
    expect(page.locator("#gallery-empty").get_by_role("link", name=re.compile("Studio"))).to_be_visible()

    generate(page, url, PROMPT)
    generate(page, url, "quiet harbour boats at dawn, watercolor", images=3)

    # Find it by a word of the prompt.
    open_gallery(page, url)
    expect(tiles(page)).to_have_count(4)
    page.locator("#gallery-search").fill("basalt")
    expect(tiles(page)).to_have_count(1)
    tile = tiles(page).first
    expect(tile.get_by_role("link")).to_have_attribute("aria-label", re.compile("lighthouse"))

    # Star it.
    star = tile.get_by_role("button", name=re.compile("^Favourite"))
    star.click()
    expect(star).to_have_attribute("aria-pressed", "true")
    page.locator("#filter-favorites").click()
    expect(tiles(page)).to_have_count(1)

    # Add it to a new collection from the bulk bar.
    tile.get_by_role("checkbox").click()
    expect(page.locator("#selected-count")).to_contain_text("1 selected")
    page.locator("#bulk-add").click()
    page.get_by_role("menuitem", name=re.compile("New collection")).click()
    page.get_by_label("Name").fill("Coastal")
    page.locator("#new-collection-name-submit").click()
    collection = page.locator("#collection-list .collection-row", has_text="Coastal")
    expect(collection).to_contain_text("1")
    page.locator("#clear-filters").click()
    expect(tiles(page)).to_have_count(4)
    page.locator("#gallery-search").fill("basalt")
    expect(tiles(page)).to_have_count(1)

    # Open its page: the full recipe, the collection, the local-engine label.
    tiles(page).first.get_by_role("link").click()
    page.locator("#lightbox-recipe").click()  # a tile opens the lightbox; its page is a link away
    page.wait_for_url(re.compile(r"/image/\d+$"))
    expect(page.locator("#image-prompt")).to_have_text(PROMPT)
    # The picture shows, at its own shape (width/height attributes, not CSS).
    expect(page.locator("#viewer-img")).to_have_attribute("width", re.compile(r"^[1-9][0-9]*$"))
    page.wait_for_function("() => { const img = document.querySelector('#viewer-img'); "
                           "return img.complete && img.naturalWidth > 0; }", timeout=15_000)
    expect(page.locator("#recipe")).to_contain_text("Local preview")
    expect(page.locator("#recipe")).to_contain_text("Seed")
    expect(page.locator("#recipe")).to_contain_text("1 credit")
    expect(page.locator("#image-collections")).to_contain_text("Coastal")
    expect(page.locator("#image-favorite")).to_have_attribute("aria-pressed", "true")
    image_url = page.url
    page.locator("#zoom-control").get_by_role("radio", name="100%").click()
    expect(page.locator("#viewer")).to_have_class(re.compile("zoomed"))
    page.locator("#viewer-img").click()
    expect(page.locator("#viewer")).not_to_have_class(re.compile("zoomed"))
    page.screenshot(path=shots / "image-desktop-light.png", full_page=True)

    # Re-run opens a new studio tab, pre-filled; this tab stays where it was.
    with page.context.expect_page() as opened:
        page.locator("#rerun-link").click()
    studio = opened.value
    studio.wait_for_load_state("networkidle")
    expect(studio.locator("#prompt")).to_have_value(PROMPT)
    expect(studio.locator("#model-select")).to_contain_text("Local preview")
    assert re.search(r"/studio/?\?rerun=\d+$", studio.url)
    studio.close()
    assert page.url == image_url

    # Make it public: the share link works for someone signed out, and it shows in Explore.
    page.locator("#public-switch").click()
    share = page.locator("#share-url")
    expect(share).to_have_value(re.compile(r"/api/share/[A-Za-z0-9_-]{16,}$"))
    share_url = share.input_value()
    stranger = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    stranger.goto(share_url)
    expect(stranger.locator("blockquote")).to_have_text(PROMPT)
    og_image = stranger.locator('meta[property="og:image"]').get_attribute("content")
    assert og_image and stranger.request.get(og_image).status == 200
    expect(stranger.get_by_role("link", name="Start free")).to_have_attribute("href", re.compile("/signup$"))
    stranger.screenshot(path=shots / "share-phone-light.png", full_page=True)
    open_page(stranger, f"{url}/explore")
    shared = stranger.locator("#explore-grid .explore-tile", has_text="lonely lighthouse")
    expect(shared).to_have_count(1)
    expect(shared.get_by_role("link", name=re.compile("Sign in to like"))).to_be_visible()
    stranger.context.close()

    # Signed in, Explore has a like button (once per image).
    open_page(page, f"{url}/explore")
    mine = page.locator("#explore-grid .explore-tile", has_text="lonely lighthouse")
    like = mine.get_by_role("button", name=re.compile("^Like"))
    like.click()
    expect(mine.get_by_role("button", name=re.compile("^Unlike"))).to_have_attribute("aria-pressed", "true")
    expect(mine.locator(".like-count")).to_have_text("1")
    page.locator("#explore-sort").get_by_role("radio", name="Most liked").click()
    expect(page.locator("#explore-grid .explore-tile").first).to_contain_text("lonely lighthouse")
    page.screenshot(path=shots / "explore-desktop-light.png", full_page=True)

    # Bulk delete three: click one, shift-click the third, confirm. (The search stayed while we were away.)
    open_gallery(page, url)
    expect(page.locator("#gallery-search")).to_have_value("basalt")
    page.locator("#clear-filters").click()
    expect(tiles(page)).to_have_count(4)
    page.locator("#gallery-grid .gallery-tile").nth(0).get_by_role("checkbox").click()
    page.locator("#gallery-grid .gallery-tile").nth(2).get_by_role("checkbox").click(modifiers=["Shift"])
    expect(page.locator("#selected-count")).to_contain_text("3 selected")
    zip_href = page.locator("#bulk-zip").get_attribute("href")
    assert zip_href and re.search(r"ids=\d+,\d+,\d+$", zip_href)
    download = page.request.get(url + zip_href)
    assert download.status == 200 and download.body()[:2] == b"PK"
    page.screenshot(path=shots / "gallery-desktop-light.png", full_page=True)
    page.locator("#bulk-delete").click()
    expect(page.get_by_role("alertdialog")).to_contain_text("Delete 3 images?")
    page.locator("#confirm-delete").click()
    expect(tiles(page)).to_have_count(1)
    expect(tiles(page).first.get_by_role("link")).to_have_attribute("aria-label", re.compile("lighthouse"))

    # Usage: every job, charts with a text summary, CSV export.
    open_page(page, f"{url}/usage")
    expect(page.locator(".usage-row")).to_have_count(2)
    expect(page.locator("#chart-days-summary")).to_contain_text("4 credits on 2 jobs")
    expect(page.locator("#chart-operations-summary")).to_contain_text("Text to image 4 credits")
    page.locator("#usage-period").get_by_role("radio", name="7 days").click()
    expect(page.locator("#chart-days-summary")).to_contain_text("last 7 days")
    csv = page.request.get(url + page.locator("#usage-csv").get_attribute("href"))
    assert csv.status == 200 and csv.text().startswith("job_id,created_at,operation")
    page.screenshot(path=shots / "usage-desktop-light.png", full_page=True)

    # The same pages in the dark theme, signed in as the same person.
    dark = browser.new_context(viewport={"width": 1360, "height": 900}, color_scheme="dark",
                               storage_state=page.context.storage_state()).new_page()
    for name, path in (("gallery", "/gallery"), ("image", image_url.removeprefix(url)), ("explore", "/explore"),
                       ("usage", "/usage")):
        open_page(dark, url + path)
        dark.wait_for_timeout(400)
        dark.screenshot(path=shots / f"{name}-desktop-dark.png", full_page=True)
    dark.context.close()


def seed_images(data_dir: Path, email: str, count: int) -> None:
    """`count` more rows for this user, older than their newest image and sharing its stored files."""
    db = sqlite3.connect(data_dir / "palett.db")
    try:
        (user_id,) = db.execute("SELECT id FROM user WHERE email = ?", (email,)).fetchone()
        model, key, thumb, width, height, created = db.execute(
            "SELECT model, image_url, thumbnail_url, width, height, created_at FROM generated_image "
            "WHERE user_id = ? ORDER BY id DESC LIMIT 1", (user_id,)).fetchone()
        start = datetime.fromisoformat(created)
        rows = [(user_id, f"seeded scene number {n}", model, key, thumb, width, height, "t2i", "{}", False, 0,
                 f"{start - timedelta(minutes=n):%Y-%m-%d %H:%M:%S.%f}", False) for n in range(1, count + 1)]
        db.executemany(
            "INSERT INTO generated_image (user_id, prompt, model, image_url, thumbnail_url, width, height, "
            "operation, metadata, is_public, likes, created_at, favorite) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        db.commit()
    finally:
        db.close()


def test_a_long_scroll_keeps_a_window_and_arrows_walk_the_images(running_app, browser, shots):
    url = running_app.url
    page, email = signed_in(browser, url)
    generate(page, url, "the newest picture of all")
    seed_images(running_app.data_dir, email, 2000)

    open_gallery(page, url)
    expect(page.locator("#gallery-total")).to_have_text("2,001 images")
    most_images = 0
    for _ in range(120):  # scroll to the bottom again and again, as a person flicking through would
        most_images = max(most_images, page.locator("img").count())
        assert most_images <= MAX_IMAGES_IN_DOM
        if page.locator("#gallery-more-end").is_visible():
            break
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        page.wait_for_timeout(250)
    expect(page.locator("#gallery-more-end")).to_be_visible()
    expect(page.locator("#gallery-position")).to_have_text(re.compile(r"–2,001 of 2,001$"))
    assert page.locator("img").count() <= MAX_IMAGES_IN_DOM
    assert tiles(page).count() <= 192 and most_images > 150  # the window filled up, then slid
    expect(tiles(page).last).to_contain_text("seeded scene number 2000")

    # Opening an image and pressing Esc comes back to the same place, that image's tile focused.
    tiles(page).last.get_by_role("link").click()
    page.locator("#lightbox-recipe").click()  # a tile opens the lightbox; its page is a link away
    page.wait_for_url(re.compile(r"/image/\d+$"))
    # The image page's speed is measured in bench/; here a loaded machine only needs more patience.
    expect(page.locator("#image-prompt")).to_have_text("seeded scene number 2000", timeout=15_000)
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(r"/gallery/?$"))
    expect(page.locator("#gallery-position")).to_have_text(re.compile(r"–2,001 of 2,001$"))
    expect(tiles(page).last.get_by_role("link")).to_be_focused()

    # The newer pages come back on request, and "back to the top" starts over.
    page.locator("#show-newer").click()
    expect(page.locator("#gallery-position")).not_to_have_text(re.compile(r"–2,001 of"))
    page.locator("#back-to-top").click()
    expect(page.locator("#gallery-position")).to_have_text(re.compile(r"^Showing 1–48 of 2,001$"))
    expect(tiles(page).first).to_contain_text("the newest picture of all")
    page.screenshot(path=shots / "gallery-many-desktop-light.png")

    # Arrow keys walk the gallery's order on the image page; Esc goes back.
    tiles(page).first.get_by_role("link").click()
    page.locator("#lightbox-recipe").click()  # a tile opens the lightbox; its page is a link away
    page.wait_for_url(re.compile(r"/image/\d+$"))
    expect(page.locator("#image-prompt")).to_have_text("the newest picture of all")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#image-prompt")).to_have_text("seeded scene number 1")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#image-prompt")).to_have_text("seeded scene number 2")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#image-prompt")).to_have_text("seeded scene number 1")
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(r"/gallery/?$"))
    expect(tiles(page).nth(1).get_by_role("link")).to_be_focused()


def test_profile_avatar_studio_defaults_and_data_export(running_app, browser, shots):
    url = running_app.url
    page = signed_in_page(browser, url)
    open_page(page, f"{url}/profile")
    page.locator("#avatar-input").set_input_files(str(FIXTURES / "astronaut.png"))
    avatar = page.locator("img#profile-avatar, #profile-avatar img").first  # Radix puts the id on the <img>
    expect(avatar).to_have_attribute("src", re.compile(r"^/api/avatars/\d+/avatar-[0-9a-f]+\.webp$"),
                                     timeout=20_000)
    avatar_src = avatar.get_attribute("src")
    assert page.request.get(url + avatar_src).headers["content-type"] == "image/webp"
    expect(page.locator("#user-menu img")).to_have_attribute("src", avatar_src)

    page.locator("#default-model").click()
    page.get_by_role("option", name="Local preview — not AI").click()
    page.locator("#default-size").click()
    page.get_by_role("option", name=re.compile("Portrait")).first.click()
    size_label = page.locator("#default-size").inner_text()

    # A new studio tab starts from these defaults.
    studio = page.context.new_page()
    open_page(studio, f"{url}/studio")
    expect(studio.locator("#model-select")).to_contain_text("Local preview")
    expect(studio.get_by_role("button", name=size_label)).to_have_attribute("aria-pressed", "true")
    studio.close()

    export = page.request.get(url + page.locator("#export-data").get_attribute("href"))
    assert export.status == 200 and export.body()[:2] == b"PK"
    page.screenshot(path=shots / "profile-desktop-light.png", full_page=True)

    # On a phone the gallery is two columns and its controls still fit.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, storage_state=page.context.storage_state(),
                                has_touch=True, is_mobile=True).new_page()
    generate(phone, url, "a tiny robot watering a bonsai")
    open_gallery(phone, url)
    expect(tiles(phone)).to_have_count(1)
    expect(tiles(phone).first.get_by_role("checkbox")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=shots / "gallery-phone-light.png", full_page=True)
    expect(phone.locator("#filter-operation")).to_be_hidden()  # the filters fold away on a phone
    phone.get_by_role("button", name="Filters").click()
    expect(phone.locator("#filter-operation")).to_be_visible()
    tiles(phone).first.get_by_role("link").click()
    phone.locator("#lightbox-recipe").click()  # a tile opens the lightbox; its page is a link away
    phone.wait_for_url(re.compile(r"/image/\d+$"))
    expect(phone.locator("#image-prompt")).to_have_text("a tiny robot watering a bonsai")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=shots / "image-phone-light.png", full_page=True)
    phone.context.close()
