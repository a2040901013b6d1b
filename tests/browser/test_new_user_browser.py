"""What a new user trips on (issue 14), each checked in Chromium against the running app."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.test_accounts_browser import open_page, sign_in, sign_up, unique_email, verify
from tests.browser.test_studio_browser import pick_model, set_images

FIXTURES = Path(__file__).parents[1] / "fixtures"


def new_user(browser, url: str, **context_args) -> tuple[Page, str]:  # type: ignore[no-untyped-def]
    context_args.setdefault("viewport", {"width": 1360, "height": 900})
    page = browser.new_context(**context_args).new_page()
    email = unique_email("newuser")
    sign_up(page, url, email)
    verify(page, url, email)
    sign_in(page, url, email)
    return page, email


def set_credits(data_dir: Path, email: str, credits: int) -> None:
    """Give the user a balance directly (the ledger does not matter to these checks)."""
    db = sqlite3.connect(data_dir / "palett.db")
    try:
        db.execute("UPDATE user SET credits = ? WHERE email = ?", (credits, email))
        db.commit()
    finally:
        db.close()


def generate_local(page: Page, url: str, prompt: str, images: int = 1) -> None:
    open_page(page, f"{url}/studio")
    pick_model(page, "Local preview — not AI")
    page.locator("#prompt").fill(prompt)
    set_images(page, images)
    page.locator("#generate").click()
    card = page.locator(".job-card", has_text=prompt).first
    expect(card.locator(".job-status")).to_have_text("Done", timeout=60_000)


def test_an_explore_tile_opens_the_shared_image(running_app, browser, shots):
    url = running_app.url
    page, _ = new_user(browser, url)
    generate_local(page, url, "a copper kettle on a stove, new user test")
    open_page(page, f"{url}/gallery")
    page.locator("#gallery-grid .gallery-tile").first.locator("a.gallery-open").click()
    page.locator("#lightbox-recipe").click()  # a tile opens the lightbox; its page is a link away
    page.wait_for_url(re.compile(r"/image/\d+"))
    page.locator("#public-switch").click()
    expect(page.locator("#share-url")).to_have_value(re.compile(r"/api/share/"))

    # Reach Explore by a client-side navigation (as a person does), then click the tile.
    page.get_by_role("link", name="Explore").first.click()
    page.wait_for_url(re.compile(r"/explore/?$"))
    tile = page.locator("#explore-grid .explore-tile", has_text="copper kettle").first
    tile.locator("a.gallery-open").click()
    page.locator("#lightbox-share-page").click()  # the tile opens the lightbox, which links the share page
    page.wait_for_url(re.compile(r"/api/share/[A-Za-z0-9_-]+$"), timeout=15_000)
    expect(page.locator("blockquote")).to_contain_text("copper kettle", timeout=15_000)
    expect(page.get_by_text("404")).to_have_count(0)


def test_an_unknown_url_gets_a_styled_page_with_a_way_back(running_app, browser, shots):
    url = running_app.url
    for scheme in ("light", "dark"):
        for name, viewport in (("desktop", {"width": 1360, "height": 900}), ("phone", {"width": 390, "height": 844})):
            page = browser.new_context(viewport=viewport, color_scheme=scheme).new_page()
            open_page(page, f"{url}/no/such/page")
            expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
            expect(page.locator(".topbar")).to_be_visible()
            expect(page.locator("footer")).to_be_visible()
            back = page.locator("#not-found-home")
            expect(back).to_be_visible()
            page.screenshot(path=shots / f"not-found-{name}-{scheme}.png", full_page=True)
            page.context.close()
    page = browser.new_context().new_page()
    open_page(page, f"{url}/no/such/page")
    page.locator("#not-found-home").click()
    page.wait_for_url(re.compile(r"/$"))
    page.context.close()


def test_out_of_credits_says_why_and_offers_billing(running_app, browser, shots):
    url = running_app.url
    page, email = new_user(browser, url)
    set_credits(running_app.data_dir, email, 1)
    open_page(page, f"{url}/studio")
    pick_model(page, "Local preview — not AI")
    page.locator("#prompt").fill("a red fox in the snow")
    set_images(page, 4)
    generate = page.locator("#generate")
    expect(generate).to_be_disabled()
    expect(generate).to_contain_text("Need 3 more credits")
    expect(page.locator("#run-cost")).to_have_text("Costs 4 credits · you have 1")
    buy = page.locator("#buy-credits")
    expect(buy).to_be_visible()
    expect(buy).to_have_attribute("href", re.compile(r"/billing\?highlight=starter$"))
    expect(buy).to_contain_text("$9.99")
    page.screenshot(path=shots / "studio-out-of-credits-desktop-light.png", full_page=True)
    phone = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark",
                                storage_state=page.context.storage_state()).new_page()
    open_page(phone, f"{url}/studio")
    pick_model(phone, "Local preview — not AI")
    phone.locator("#prompt").fill("a red fox in the snow")
    set_images(phone, 4)
    expect(phone.locator("#generate")).to_contain_text("Need 3 more credits")
    phone.locator("#generate").scroll_into_view_if_needed()
    phone.screenshot(path=shots / "studio-out-of-credits-phone-dark.png")
    phone.context.close()
    # One credit reads "1 credit" in the header badge.
    expect(page.locator("#credits-link")).to_contain_text(re.compile(r"1\s*credit(?!s)"))
    expect(page.locator("#credits-link")).to_have_attribute("href", re.compile(r"/billing$"))
    expect(page.get_by_role("link", name="Credits", exact=True)).to_have_attribute("href", re.compile(r"/billing$"))
    buy.click()
    page.wait_for_url(re.compile(r"/billing"))

    # The editor's Run button says the same.
    open_page(page, f"{url}/edit")
    expect(page.locator("#run-tool")).to_be_visible()


def test_models_that_cannot_run_say_so_without_operator_jargon(running_app, browser):
    url = running_app.url
    page, _ = new_user(browser, url)
    open_page(page, f"{url}/studio")
    pick_model(page, "Local preview — not AI")
    expect(page.locator("#local-notice")).to_contain_text("not AI")
    expect(page.locator("#local-notice")).not_to_contain_text("FAL_KEY")
    page.locator("#model-select").click()
    options = page.get_by_role("option")
    expect(options.first).to_be_visible()
    texts = options.all_inner_texts()
    assert not [t for t in texts if re.search(r"[A-Z]+_[A-Z_]*KEY", t)], texts
    assert any("Not available on this server" in t for t in texts), texts
    page.keyboard.press("Escape")
    open_page(page, f"{url}/edit")
    assert "_KEY" not in page.locator("main").inner_text()


def seeds_of(card) -> list[str]:  # type: ignore[no-untyped-def]
    return [re.sub(r"\D", "", a) for a in card.locator("img.result-img").evaluate_all("els => els.map(e => e.alt)")]


def test_rerun_shows_the_seed_and_a_batch_does_not_reuse_it(running_app, browser, shots):
    url = running_app.url
    page, _ = new_user(browser, url)
    generate_local(page, url, "a teal bicycle against a brick wall")
    card = page.locator(".job-card", has_text="teal bicycle").first
    (seed,) = seeds_of(card)
    expect(page.locator("#seed-mode")).to_contain_text("Random")
    card.get_by_role("button", name="Re-run settings").click()
    expect(page.locator("#seed-mode")).to_contain_text(f"Fixed seed {seed}")
    expect(page.locator("#seed")).to_have_value(seed)

    # A batch of prompts: each prompt gets its own seed, and the form says so.
    page.locator("#batch-mode").click()
    page.locator("#batch-prompts").fill("a yellow kite\na green kite\na blue kite")
    expect(page.locator("#seed-mode")).to_contain_text("each prompt gets its own random seed")
    page.screenshot(path=shots / "studio-seed-batch-desktop-light.png", full_page=True)
    page.locator("#generate").click()
    for colour in ("yellow", "green", "blue"):
        expect(page.locator(".job-card", has_text=f"a {colour} kite").locator(".job-status")).to_have_text(
            "Done", timeout=60_000)
    seeds = {s for colour in ("yellow", "green", "blue")
             for s in seeds_of(page.locator(".job-card", has_text=f"a {colour} kite").first)}
    assert len(seeds) == 3 and seed not in seeds, seeds
    summary = page.locator(".batch-card").first
    expect(summary).to_contain_text("3 credits charged")
    expect(summary).not_to_contain_text("reserved")

    # A seed the user types is used for every prompt, and the form says so too.
    page.locator("#seed").fill("4242")
    expect(page.locator("#seed-mode")).to_contain_text("every prompt uses seed 4242")


def test_polish_landing_gallery_toasts_dialogs_and_revoke(running_app, browser, shots):
    url = running_app.url
    page, _ = new_user(browser, url, viewport={"width": 1600, "height": 900},
                       permissions=["clipboard-read", "clipboard-write"])
    # Signed in, the landing page offers the studio instead of sign-up.
    open_page(page, f"{url}/")
    expect(page.get_by_role("link", name="Open studio").first).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Start free"))).to_have_count(0)
    page.screenshot(path=shots / "landing-signed-in-desktop-light.png")

    # The gallery is centred like the header.
    generate_local(page, url, "an orange umbrella in the rain")
    open_page(page, f"{url}/gallery")
    expect(page.locator("#gallery-grid .gallery-tile")).to_have_count(1)
    main_box = page.locator("#main > div").first.bounding_box()
    header_box = page.locator(".topbar-inner").bounding_box()
    assert main_box and header_box
    assert main_box["width"] <= header_box["width"] + 1, (main_box, header_box)
    assert abs(main_box["x"] - (1600 - main_box["x"] - main_box["width"])) < 24, main_box

    # A toast does not cover the recipe and does not follow to the next page.
    page.locator("#gallery-grid .gallery-tile").first.locator("a.gallery-open").click()
    page.locator("#lightbox-recipe").click()  # a tile opens the lightbox; its page is a link away
    page.wait_for_url(re.compile(r"/image/\d+"))
    page.get_by_role("button", name=re.compile("Copy prompt")).first.click()
    toast = page.locator("[data-sonner-toast]", has_text="Prompt copied")
    expect(toast).to_be_visible()
    t, r = toast.bounding_box(), page.locator("#recipe").bounding_box()
    assert t and r
    overlap = not (t["x"] + t["width"] <= r["x"] or r["x"] + r["width"] <= t["x"]
                   or t["y"] + t["height"] <= r["y"] or r["y"] + r["height"] <= t["y"])
    assert not overlap, (t, r)
    page.locator(".topbar").get_by_role("link", name="Gallery").click()
    page.wait_for_url(re.compile(r"/gallery/?$"))
    expect(page.locator("[data-sonner-toast]")).to_have_count(0, timeout=3_000)

    # Revoking this device asks first; the dialog's overlay dims the sticky header too.
    open_page(page, f"{url}/settings")
    current = page.locator(".session-row", has_text="This device")
    current.get_by_role("button", name=re.compile("Revoke")).click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("sign you out")
    on_top = page.evaluate("() => { const el = document.elementFromPoint(30, 20);"
                           " return el ? !!el.closest('.topbar') : true; }")
    assert not on_top, "the sticky header is drawn above the dialog's overlay"
    page.wait_for_timeout(400)  # the dialog's fade-in
    page.screenshot(path=shots / "revoke-confirm-desktop-light.png")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert "/settings" in page.url


def upload(page: Page, name: str) -> None:
    page.locator("#upload-input").set_input_files(str(FIXTURES / name))
    expect(page.locator("#source-img, #mask-editor, #outpaint-preview").first).to_be_visible(timeout=20_000)


def pick_edit(page: Page, tool_id: str, model: str) -> None:
    page.locator(f"#tool-{tool_id}").click()
    expect(page.locator(f"#tool-{tool_id}")).to_have_attribute("aria-selected", "true")
    page.locator("#edit-model").click()
    page.get_by_role("option", name=re.compile(model)).click()
    expect(page.locator("#edit-model")).to_contain_text(re.compile(model))


def edits_done(page: Page, count: int) -> None:
    expect(page.locator("#edit-jobs .job-card")).to_have_count(count, timeout=20_000)
    for i in range(count):
        expect(page.locator("#edit-jobs .job-card .job-status").nth(i)).to_have_text("Done", timeout=60_000)


def box(page: Page, selector: str) -> dict[str, float]:
    found = page.locator(selector).bounding_box()
    assert found, selector
    return found


def path_of(src: str | None) -> str:
    assert src
    return src.split("?", 1)[0]


def test_before_after_shows_whole_images_that_line_up_and_match_the_image_panel(running_app, browser, shots):
    url = running_app.url
    page, _ = new_user(browser, url)
    open_page(page, f"{url}/edit")
    for count, name in enumerate(("chelsea.png", "astronaut.png", "coffee.png"), 1):
        upload(page, name)
        expect(page.locator(".library-check")).to_have_count(count, timeout=20_000)  # this upload is in
    expect(page.locator("main")).to_contain_text("600 × 400")  # coffee (600x400) is in the Image panel
    pick_edit(page, "bg_remove", "Local cut-out")
    page.locator("#run-tool").click()
    edits_done(page, 1)

    # The whole 600x400 photo: a 3:2 frame no taller than 560 px, the result filling it exactly.
    page.locator("#compare").scroll_into_view_if_needed()
    frame = box(page, "#compare")
    assert frame["height"] <= 561 and abs(frame["width"] / frame["height"] - 1.5) < 0.02, frame
    after = box(page, "#compare img[alt='The result']")
    assert abs(after["width"] - frame["width"]) < 4 and abs(after["height"] - frame["height"]) < 4, (after, frame)

    # Outpaint 300 px on the left: the frame is 900x400 and the before image sits in its right two thirds.
    pick_edit(page, "outpaint", "Local extend")
    page.locator("#pad-left").fill("300")
    page.locator("#run-tool").click()
    edits_done(page, 2)
    page.locator("#compare").scroll_into_view_if_needed()
    frame = box(page, "#compare")
    assert abs(frame["width"] / frame["height"] - 900 / 400) < 0.03, frame
    before = box(page, "#compare img[alt='Your image before the edit']")
    assert abs(before["width"] / frame["width"] - 600 / 900) < 0.02, (before, frame)
    assert abs((before["x"] - frame["x"]) / frame["width"] - 300 / 900) < 0.02, (before, frame)
    page.screenshot(path=shots / "edit-outpaint-compare-desktop-light.png", full_page=True)

    # A batch over two other images: the before/after keeps showing the image in the Image panel.
    pick_edit(page, "bg_remove", "Local cut-out")
    checks = page.locator(".library-check")
    expect(checks).to_have_count(5)
    checks.nth(3).click()
    checks.nth(4).click()
    expect(page.locator("#batch-count")).to_have_text("2 in batch")
    page.locator("#run-tool").click()
    edits_done(page, 4)
    expect(page.locator(".batch-card").first).to_contain_text("2 credits charged")
    source = path_of(page.locator("#source-img").get_attribute("src"))
    before_src = path_of(page.locator("#compare img[alt='Your image before the edit']").get_attribute("src"))
    assert before_src == source, (before_src, source)

    # The same slider on a phone, in the dark theme.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark",
                                storage_state=page.context.storage_state()).new_page()
    open_page(phone, f"{url}/edit")
    phone.locator("#tool-outpaint").click()
    phone.get_by_role("button", name=re.compile("^Edit ")).nth(4).click()  # newest first: 4 results, then coffee
    expect(phone.locator("#compare")).to_be_visible()
    frame = box(phone, "#compare")
    assert frame["width"] <= 390 and abs(frame["width"] / frame["height"] - 900 / 400) < 0.03, frame
    phone.locator("#compare").scroll_into_view_if_needed()
    phone.screenshot(path=shots / "edit-compare-phone-dark.png")
    phone.context.close()


def test_studio_results_are_a_dense_grid_with_a_lightbox(running_app, browser, shots):
    url = running_app.url
    page, _ = new_user(browser, url, color_scheme="dark")
    generate_local(page, url, "a lone pine on a granite ridge")
    generate_local(page, url, "a paper boat on a puddle", images=2)
    boat = page.locator(".job-card", has_text="paper boat").first
    tiles = boat.locator(".result-tile")
    expect(tiles).to_have_count(2)
    first = tiles.first.bounding_box()
    assert first and first["width"] <= 260 and abs(first["width"] - first["height"]) < 2, first
    card = boat.bounding_box()
    assert card and card["height"] < 480, card

    # Click a result: the lightbox shows it full size; arrows walk through all results; Escape closes.
    tiles.first.click()
    box_ = page.locator("#lightbox")
    expect(box_).to_be_visible()
    expect(page.locator("#lightbox-position")).to_have_text("1 of 3")
    src = page.locator("#lightbox-img").get_attribute("src")
    assert src and "/api/media/" in src and "thumb" not in src, src
    expect(box_).to_contain_text("paper boat")
    for name in ("Download", "Edit", "Re-run settings", "Variations"):
        expect(box_.get_by_role("link", name=name).or_(box_.get_by_role("button", name=name))).to_be_visible()
    page.wait_for_timeout(300)  # the dialog's fade-in
    page.screenshot(path=shots / "studio-lightbox-desktop-dark.png")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#lightbox-position")).to_have_text("2 of 3")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#lightbox-position")).to_have_text("3 of 3")
    expect(box_).to_contain_text("lone pine")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#lightbox-position")).to_have_text("2 of 3")
    page.keyboard.press("Escape")
    expect(box_).to_have_count(0)

    # Re-run from the lightbox fills the form and closes it.
    page.locator(".job-card", has_text="lone pine").locator(".result-tile").first.click()
    expect(box_).to_be_visible()
    box_.get_by_role("button", name="Re-run settings").click()
    expect(box_).to_have_count(0)
    expect(page.locator("#prompt")).to_have_value("a lone pine on a granite ridge")

    # The density control makes the thumbnails larger.
    page.locator("#feed-density").get_by_role("radio", name="Large thumbnails").click()
    page.wait_for_timeout(200)
    large = tiles.first.bounding_box()
    assert large and large["width"] > first["width"] + 40, (large, first)
    page.screenshot(path=shots / "studio-feed-desktop-dark.png", full_page=True)

    phone = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="light",
                                storage_state=page.context.storage_state()).new_page()
    open_page(phone, f"{url}/studio")
    phone.locator(".job-card", has_text="paper boat").locator(".result-tile").first.click()
    expect(phone.locator("#lightbox")).to_be_visible()
    phone.wait_for_timeout(300)
    phone.screenshot(path=shots / "studio-lightbox-phone-light.png")
    phone.context.close()
