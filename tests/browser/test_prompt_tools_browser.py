"""Prompt tools in the studio, as a person uses them: Enhance (accept, edit, dismiss), Describe an image,
and recent prompts, from the keyboard. This app has no OpenAI key, so Enhance is the local helper and must
say so; Describe uses the local helper through its switch (the Fal emulator cannot receive our uploads)."""

from __future__ import annotations

import io
import re

from PIL import Image
from playwright.sync_api import expect

from tests.browser.test_accounts_browser import open_page
from tests.browser.test_studio_browser import pick_model, signed_in_page


def png(size=(320, 200), colour=(200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def test_enhance_shows_a_suggestion_to_accept_edit_or_dismiss(running_app, browser, shots):
    url = running_app.url
    page = signed_in_page(browser, url)
    open_page(page, f"{url}/studio")
    prompt = page.get_by_label("Prompt", exact=True)
    prompt.fill("a red fox")
    expect(page.locator("#prompt-tools-offer")).to_contain_text("Enhance: Local prompt helper — not AI, free")
    page.get_by_role("button", name="Enhance prompt").click()
    panel = page.get_by_role("region", name="Suggested prompt")
    expect(panel.locator("#suggestion-source")).to_have_text("Local prompt helper — not AI · free")
    suggestion = panel.get_by_label("Edit it if you like, then use it or dismiss it")
    expect(suggestion).to_have_value(re.compile(r"^a red fox, .+"))
    expect(suggestion).to_be_focused()
    expect(prompt).to_have_value("a red fox")  # nothing replaced until the person says so

    panel.get_by_role("button", name="Dismiss").click()
    expect(panel).to_have_count(0)
    expect(prompt).to_have_value("a red fox")

    page.get_by_role("button", name="Enhance prompt").click()
    suggestion = page.locator("#suggestion")
    expect(suggestion).to_have_value(re.compile(r"^a red fox, .+"))
    suggestion.press("Control+End")
    suggestion.type(", in the snow")
    if shots:
        page.screenshot(path=shots / "prompt-tools-enhance.png", full_page=False)
    page.locator("#suggestion-accept").focus()
    page.keyboard.press("Enter")
    expect(prompt).to_have_value(re.compile(r"^a red fox, .+, in the snow$"))
    expect(prompt).to_be_focused()
    expect(page.locator("#suggestion-panel")).to_have_count(0)
    expect(page.locator("#credits-balance")).to_have_text("10")  # the local helper is free

    # On a phone the tools and the suggestion fit the screen (no sideways scrolling).
    page.set_viewport_size({"width": 390, "height": 844})
    page.emulate_media(color_scheme="dark")
    page.get_by_role("button", name="Enhance prompt").click()
    expect(page.locator("#suggestion-panel")).to_be_visible()
    page.locator("#suggestion-panel").scroll_into_view_if_needed()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    if shots:
        page.screenshot(path=shots / "prompt-tools-phone-dark.png")


def test_describe_an_upload_and_reuse_a_recent_prompt(running_app, browser):
    url = running_app.url
    page = signed_in_page(browser, url)
    open_page(page, f"{url}/studio")
    expect(page.locator("#prompt-tools-offer")).to_contain_text("Describe: Florence-2 large (Fal), 1 credit")
    local = page.get_by_label("Use the free local helper instead (not AI)")
    local.click()  # a switch the server controls: click, then wait for its state
    expect(local).to_have_attribute("aria-checked", "true")
    expect(page.locator("#prompt-tools-offer")).to_have_text("Local prompt helper — not AI: free")
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Describe an image").click()
    chooser.value.set_files({"name": "red.png", "mimeType": "image/png", "buffer": png()})
    panel = page.get_by_role("region", name="Suggested prompt")
    expect(panel).to_contain_text("Prompt from your image")
    expect(panel.locator("#suggestion-source")).to_have_text("Local prompt helper — not AI · free")
    expect(page.locator("#suggestion")).to_have_value(re.compile(r"^A landscape 320×200 image, .*red"))
    page.get_by_role("button", name="Use this prompt").click()
    expect(page.get_by_label("Prompt", exact=True)).to_have_value(re.compile("^A landscape 320×200 image"))

    # A bad file is refused by the upload checks with a clear message, and nothing else changes.
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Describe an image").click()
    chooser.value.set_files({"name": "notes.png", "mimeType": "image/png", "buffer": b"not an image"})
    expect(page.locator("#prompt-tools-problem")).to_be_visible()
    expect(page.locator("#suggestion-panel")).to_have_count(0)

    # The prompt made an image; after a reload it is offered among the recent prompts, from the keyboard.
    pick_model(page, "Local preview — not AI")
    page.get_by_label("Prompt", exact=True).fill("a lighthouse at dawn")
    page.locator("#generate").click()
    expect(page.locator(".job-card .job-status").first).to_have_text("Done", timeout=30_000)

    # "Use as prompt" in the lightbox describes that result (with the local helper this tab chose).
    page.locator(".job-card .result-tile").first.click()
    page.locator("#lightbox").get_by_role("button", name="Use as prompt").click()
    expect(page.locator("#lightbox")).to_have_count(0)
    expect(page.locator("#suggestion")).to_have_value(re.compile(r"^A square \d+×\d+ image"))
    page.get_by_role("button", name="Dismiss").click()
    open_page(page, f"{url}/studio")
    page.get_by_label("Prompt", exact=True).fill("")
    trigger = page.get_by_role("combobox", name="Recent prompts: put one back in the prompt")
    trigger.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("option", name="a lighthouse at dawn")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Prompt", exact=True)).to_have_value("a lighthouse at dawn")


def test_style_references_where_the_model_takes_them_and_a_clear_refusal_where_not(running_app, browser):
    url = running_app.url
    page = signed_in_page(browser, url)
    open_page(page, f"{url}/studio")
    pick_model(page, "Local preview — not AI")
    expect(page.locator("#references-note")).to_contain_text("colour and tone")
    expect(page.locator("#references-note")).to_contain_text("not AI")
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Add style reference").click()
    chooser.value.set_files({"name": "red.png", "mimeType": "image/png", "buffer": png((64, 64), (220, 20, 20))})
    expect(page.get_by_role("img", name="Style reference")).to_have_count(1)
    expect(page.get_by_role("button", name="Add subject image")).to_be_disabled()  # the local engine can't

    pick_model(page, "FLUX.1 dev")
    expect(page.locator("#references-note")).to_contain_text("takes no reference images")
    expect(page.locator("#references-refused")).to_contain_text("FLUX.1 dev takes no style references")
    page.get_by_label("Prompt", exact=True).fill("a harbour")
    page.locator("#generate").click()
    expect(page.locator("#studio-problem")).to_contain_text("doesn't support style reference images")
    expect(page.locator("#credits-balance")).to_have_text("10")

    pick_model(page, "Local preview — not AI")
    expect(page.locator("#references-refused")).to_have_count(0)
    page.locator("#generate").click()
    expect(page.locator(".job-card .job-status").first).to_have_text("Done", timeout=30_000)
    page.get_by_role("button", name="Remove style reference").click()
    expect(page.get_by_role("img", name="Style reference")).to_have_count(0)

    # A result becomes a style reference from the lightbox.
    page.locator(".job-card .result-tile").first.click()
    page.locator("#lightbox").get_by_role("button", name="Use as style reference").click()
    expect(page.get_by_role("img", name="Style reference")).to_have_count(1)
