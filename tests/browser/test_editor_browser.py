"""The editing suite as a person uses it: upload, tools, before/after, chaining, masks, batches."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.browser.test_accounts_browser import open_page
from tests.browser.test_studio_browser import signed_in_page

FIXTURES = Path(__file__).parents[1] / "fixtures"


def upload(page: Page, name: str) -> None:
    page.locator("#upload-input").set_input_files(str(FIXTURES / name))
    expect(page.locator("#source-img, #mask-editor, #outpaint-preview").first).to_be_visible(timeout=20_000)


def pick_tool(page: Page, tool_id: str) -> None:
    page.locator(f"#tool-{tool_id}").click()
    expect(page.locator(f"#tool-{tool_id}")).to_have_attribute("aria-selected", "true")


def pick_model(page: Page, name: str) -> None:
    page.locator("#edit-model").click()
    page.get_by_role("option", name=re.compile(name)).click()
    expect(page.locator("#edit-model")).to_contain_text(re.compile(name))


def newest_edit_done(page: Page, count: int) -> None:
    expect(page.locator("#edit-jobs .job-card")).to_have_count(count, timeout=20_000)
    expect(page.locator("#edit-jobs .job-card .job-status").first).to_have_text("Done", timeout=60_000)


def test_upload_cut_out_compare_chain_into_upscale_and_download(running_app, browser, shots):
    url = running_app.url
    page = signed_in_page(browser, url)
    open_page(page, f"{url}/edit")
    upload(page, "astronaut.png")
    pick_tool(page, "bg_remove")
    pick_model(page, "Local cut-out")
    expect(page.locator("#edit-local-badge")).to_contain_text("not AI")
    expect(page.locator("#edit-cost")).to_contain_text("Costs 1 credit")
    page.locator("#run-tool").click()
    newest_edit_done(page, 1)
    compare = page.locator("#compare")
    expect(compare).to_be_visible()
    handle = page.get_by_role("slider", name=re.compile("Compare"))
    handle.focus()
    page.keyboard.press("Home")
    expect(handle).to_have_attribute("aria-valuenow", "0")
    page.screenshot(path=shots / "edit-desktop-light.png", full_page=True)

    page.locator("#use-result").click()
    pick_tool(page, "upscale")
    pick_model(page, "Local Lanczos")
    page.get_by_role("radio", name="To 4K").click()
    expect(page.locator("#result-size")).to_contain_text("4096 × 4096")
    page.locator("#run-tool").click()
    newest_edit_done(page, 2)
    expect(page.locator("#edit-jobs .job-card").first).to_contain_text("4096×4096")
    with page.expect_download() as download:
        page.locator("#download-result").click()
    assert download.value.suggested_filename.endswith(".png")
    expect(page.locator("#credits-balance")).to_have_text("8")


def test_bad_upload_gets_a_clear_message(running_app, browser, tmp_path):
    url = running_app.url
    page = signed_in_page(browser, url)
    open_page(page, f"{url}/edit")
    fake = tmp_path / "not-an-image.png"
    fake.write_text("<html><script>alert(1)</script></html>")
    page.locator("#upload-input").set_input_files(str(fake))
    expect(page.locator("#upload-error")).to_contain_text("isn't a JPEG, PNG")
    expect(page.locator("#credits-balance")).to_have_text("10")


def painted_along(canvas: Locator, rows: tuple[float, ...]) -> list[int]:
    """How many mask pixels are painted along each row (a fraction of the image's height), read from the canvas."""
    return canvas.evaluate(
        """(c, rows) => rows.map((f) => {
             const y = Math.min(c.height - 1, Math.round(c.height * f));
             const px = c.getContext("2d").getImageData(0, y, c.width, 1).data;
             let n = 0;
             for (let i = 3; i < px.length; i += 4) if (px[i] >= 128) n++;
             return n;
           })""",
        list(rows),
    )


def test_paint_a_mask_undo_once_and_inpaint(running_app, browser, shots):
    url = running_app.url
    page = signed_in_page(browser, url, color_scheme="dark")
    open_page(page, f"{url}/edit?tool=inpaint")
    upload(page, "coffee.png")
    pick_model(page, "Local inpaint")
    canvas = page.locator("#mask-editor canvas").first
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    assert box
    for dy in (0.3, 0.6):  # two strokes, then undo the second
        page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * dy)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * dy, steps=8)
        page.mouse.up()
    before = painted_along(canvas, (0.3, 0.6))
    assert before[0] > 0 and before[1] > 0, before
    canvas.focus()
    page.keyboard.press("Control+z")
    expect(page.locator("#mask-editor")).to_have_attribute("data-can-redo", "true")
    after = painted_along(canvas, (0.3, 0.6))
    assert after == [before[0], 0], (before, after)  # the second stroke is gone, the first is untouched
    page.locator("#run-tool").click()
    newest_edit_done(page, 1)
    expect(page.locator("#edit-jobs .job-card").first).to_contain_text("600×400")
    page.screenshot(path=shots / "edit-inpaint-desktop-dark.png", full_page=True)


def test_batch_of_five_with_per_item_progress(running_app, browser):
    url = running_app.url
    page = signed_in_page(browser, url)
    open_page(page, f"{url}/edit")
    for name in ("astronaut.png", "chelsea.png", "coffee.png", "chelsea.png", "coffee.png"):
        upload(page, name)
    pick_tool(page, "style")
    pick_model(page, "Local style")
    page.get_by_role("button", name=re.compile("Pencil sketch")).click()
    checks = page.locator(".library-check")
    expect(checks).to_have_count(5)
    for i in range(5):
        checks.nth(i).click()
    expect(page.locator("#batch-count")).to_have_text("5 in batch")
    expect(page.locator("#edit-cost")).to_contain_text("Costs 10 credits")
    page.locator("#run-tool").click()
    expect(page.locator("#edit-jobs .job-card")).to_have_count(5, timeout=20_000)
    for i in range(5):
        expect(page.locator("#edit-jobs .job-card .job-status").nth(i)).to_have_text("Done", timeout=90_000)
    expect(page.locator(".batch-summary").first).to_contain_text("5 done")
    expect(page.locator("#credits-balance")).to_have_text("0")
    zip_href = page.locator(".batch-zip").first.get_attribute("href")
    answer = page.request.get(url + zip_href)
    assert answer.status == 200 and answer.body()[:2] == b"PK"
