"""The mask editor and the before/after slider on /dev/components, driven like a person would.

Mouse, keyboard, touch and pen input go through Chromium (touch and pen via the DevTools protocol); every
exported mask is decoded here and checked pixel by pixel against where the strokes went.
"""

from __future__ import annotations

import base64
import io
import re

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.test_accounts_browser import open_page

SIZE = 512  # /showcase/astronaut.png is 512 x 512


def open_components(browser, url: str, **context_args) -> Page:
    context = browser.new_context(viewport={"width": 1360, "height": 1000}, **context_args)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors  # type: ignore[attr-defined]
    open_page(page, f"{url}/dev/components")
    expect(page.locator("#mask-editor")).to_have_attribute("data-ready", "true")
    return page


def editor(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("#mask-editor")


def zoom(page: Page) -> float:
    return float(editor(page).get_attribute("data-zoom") or 0)


def to_screen(page: Page, ix: float, iy: float) -> tuple[float, float]:
    """Screen position of an image pixel (the stage element is the image, transformed)."""
    box = page.locator("#mask-editor .pme-stage").bounding_box()
    assert box
    return box["x"] + ix * box["width"] / SIZE, box["y"] + iy * box["height"] / SIZE


def to_image(page: Page, x: float, y: float) -> tuple[float, float]:
    box = page.locator("#mask-editor .pme-stage").bounding_box()
    assert box
    return (x - box["x"]) * SIZE / box["width"], (y - box["y"]) * SIZE / box["height"]


def stroke(page: Page, start: tuple[float, float], end: tuple[float, float], steps: int = 16) -> None:
    """A mouse stroke between two IMAGE coordinates."""
    page.locator("#mask-editor .pme-viewport").scroll_into_view_if_needed()
    x0, y0 = to_screen(page, *start)
    x1, y1 = to_screen(page, *end)
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x1, y1, steps=steps)
    page.mouse.up()


def export(page: Page, via: str = "#export-mask") -> Image.Image:
    """Export, wait until the state has the new mask, and decode it."""
    before = int(page.locator("#mask-exports").text_content() or 0)
    page.locator(via).click()
    expect(page.locator("#mask-exports")).to_have_text(str(before + 1))
    src = page.locator("#mask-preview").get_attribute("src") or ""
    assert src.startswith("data:image/png;base64,")
    img = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
    img.load()
    return img


def white(img: Image.Image, x: int, y: int) -> bool:
    return img.convert("L").getpixel((x, y)) == 255


def test_paint_undo_redo_and_export_at_the_image_size(running_app, browser, shots):
    page = open_components(browser, running_app.url, color_scheme="light")
    ed = editor(page)
    expect(ed).to_have_attribute("data-image-width", str(SIZE))
    expect(page.locator("#mask-painted")).to_have_text("no")

    # Stroke 1 (horizontal), undone with Ctrl+Z, redone with Ctrl+Shift+Z, undone again with the button.
    stroke(page, (100, 150), (400, 150))
    expect(ed).to_have_attribute("data-can-undo", "true")
    expect(page.locator("#mask-painted")).to_have_text("yes")
    page.keyboard.press("Control+z")
    expect(ed).to_have_attribute("data-can-undo", "false")
    expect(ed).to_have_attribute("data-can-redo", "true")
    page.keyboard.press("Control+Shift+z")
    expect(ed).to_have_attribute("data-can-redo", "false")
    page.get_by_role("button", name="Undo").click()
    expect(ed).to_have_attribute("data-can-undo", "false")
    expect(page.locator("#mask-painted")).to_have_text("no")

    # Stroke 2 (vertical) is the only thing in the export.
    stroke(page, (256, 300), (256, 460))
    mask = export(page)
    assert mask.size == (SIZE, SIZE)
    assert set(mask.convert("L").getdata()) == {0, 255}  # strictly black and white
    assert white(mask, 256, 380) and white(mask, 256, 302) and white(mask, 256, 458)
    assert not white(mask, 150, 150) and not white(mask, 350, 150)  # the undone stroke is gone
    assert not white(mask, 10, 10) and not white(mask, 500, 500)
    brush = int(ed.get_attribute("data-brush-size") or 0)
    assert brush == SIZE // 16  # default: 1/16 of the longer side, in image pixels
    assert white(mask, 256 + brush // 2 - 3, 380) and not white(mask, 256 + brush // 2 + 3, 380)
    expect(page.locator("#mask-size")).to_have_text(f"{SIZE} × {SIZE} px")
    expect(page.locator("#mask-two-tone")).to_have_text("yes")
    expect(page.locator("#mask-painted")).to_have_text("yes")
    assert page.errors == []  # type: ignore[attr-defined]
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=shots / "components-light.png", full_page=True)


def test_tools_keys_eraser_invert_clear_and_state_trigger(running_app, browser):
    page = open_components(browser, running_app.url)
    ed = editor(page)
    viewport = page.get_by_role("application", name="Mask editor: Astronaut portrait")

    # Brush size with [ and ], and the labelled slider.
    size = int(ed.get_attribute("data-brush-size") or 0)
    viewport.focus()
    page.keyboard.press("]")
    grown = int(ed.get_attribute("data-brush-size") or 0)
    assert grown > size
    page.keyboard.press("[")
    page.keyboard.press("[")
    assert int(ed.get_attribute("data-brush-size") or 0) < grown
    expect(page.get_by_role("slider", name="Brush size")).to_be_visible()

    # Paint a wide band, erase its middle with E.
    page.keyboard.press("]")
    page.keyboard.press("]")
    stroke(page, (80, 256), (430, 256))
    page.keyboard.press("e")
    expect(ed).to_have_attribute("data-tool", "eraser")
    expect(page.get_by_role("button", name="Eraser")).to_have_attribute("aria-pressed", "true")
    stroke(page, (256, 150), (256, 360))
    page.keyboard.press("b")
    expect(ed).to_have_attribute("data-tool", "brush")

    # Export through the state's export_trigger prop.
    mask = export(page, via="#export-via-state")
    assert mask.size == (SIZE, SIZE)
    assert white(mask, 120, 256) and white(mask, 400, 256)
    assert not white(mask, 256, 256)  # erased
    painted = float((page.locator("#mask-white").text_content() or "0").split()[0])
    assert 0 < painted < 30

    # Invert (I), then clear with the toolbar button. Keys act while the editor has focus.
    viewport.focus()
    page.keyboard.press("i")
    inverted = export(page)
    assert not white(inverted, 120, 256) and white(inverted, 256, 256) and white(inverted, 10, 10)
    assert float((page.locator("#mask-white").text_content() or "0").split()[0]) == pytest.approx(100 - painted,
                                                                                                  abs=0.2)
    page.get_by_role("button", name="Clear mask").click()
    cleared = export(page)
    assert cleared.convert("L").getextrema() == (0, 0)
    # Clearing is undoable.
    viewport.focus()
    page.keyboard.press("Control+z")
    assert white(export(page), 256, 256)

    # With auto_export on, every change reaches the state by itself.
    page.get_by_label("Auto export").click()
    viewport.focus()
    page.keyboard.press("i")
    # Switching auto export on may itself export once, so wait for the inverted-twice mask rather than
    # for one more export (edge pixels may round differently).
    page.wait_for_function(
        "([painted]) => Math.abs(parseFloat(document.querySelector('#mask-white').textContent) - painted) <= 0.2",
        arg=[painted], timeout=15_000)


def test_zoom_and_pan_keep_strokes_in_image_pixels(running_app, browser, shots):
    page = open_components(browser, running_app.url)
    ed = editor(page)
    fit = zoom(page)
    assert 0.2 < fit < 2

    page.get_by_role("button", name="Zoom in").click()
    assert zoom(page) == pytest.approx(fit * 1.25, rel=1e-3)
    near = "|".join(str(int(fit * 125) + d) for d in (-1, 0, 1, 2))
    expect(page.get_by_test_id("zoom-value")).to_have_text(re.compile(rf"^({near})%$"))
    page.get_by_role("button", name="Zoom out").click()
    assert zoom(page) == pytest.approx(fit, rel=1e-3)

    # The wheel zooms around the pointer: the image pixel under it stays put.
    x, y = to_screen(page, 320, 200)
    page.mouse.move(x, y)
    page.mouse.wheel(0, -400)
    expect(ed).not_to_have_attribute("data-zoom", f"{fit:.4f}")
    assert zoom(page) > fit * 1.5
    ix, iy = to_image(page, x, y)
    assert ix == pytest.approx(320, abs=1) and iy == pytest.approx(200, abs=1)

    # Hand tool (H) pans without painting; so does Space+drag.
    page.get_by_role("application").focus()
    page.keyboard.press("h")
    before = page.locator("#mask-editor .pme-stage").bounding_box()
    vp = page.locator("#mask-editor .pme-viewport").bounding_box()
    assert before and vp
    cx, cy = vp["x"] + vp["width"] / 2, vp["y"] + vp["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx - 120, cy - 60, steps=6)
    page.mouse.up()
    after = page.locator("#mask-editor .pme-stage").bounding_box()
    assert after
    assert after["x"] == pytest.approx(before["x"] - 120, abs=1)
    assert after["y"] == pytest.approx(before["y"] - 60, abs=1)
    page.keyboard.press("b")
    page.keyboard.down(" ")
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 50, cy + 30, steps=4)
    page.mouse.up()
    page.keyboard.up(" ")
    moved = page.locator("#mask-editor .pme-stage").bounding_box()
    assert moved and moved["x"] == pytest.approx(after["x"] + 50, abs=1)
    expect(ed).to_have_attribute("data-can-undo", "false")  # panning painted nothing

    # A stroke while zoomed in lands on the right image pixels; the export is still 512 x 512.
    ix0, iy0 = to_image(page, cx - 60, cy)
    ix1, _ = to_image(page, cx + 60, cy)
    stroke(page, (ix0, iy0), (ix1, iy0))
    clip = {"x": vp["x"] - 10, "y": vp["y"] - 60, "width": vp["width"] + 20, "height": vp["height"] + 110}
    page.screenshot(path=shots / "components-editor-zoomed.png", clip=clip)
    page.keyboard.press("0")
    assert zoom(page) == pytest.approx(fit, rel=1e-3)
    mask = export(page)
    assert mask.size == (SIZE, SIZE)
    mid = (round((ix0 + ix1) / 2), round(iy0))
    assert white(mask, *mid)
    box = [int(v) for v in (page.locator("#mask-box").text_content() or "").split(",")]
    brush = int(ed.get_attribute("data-brush-size") or 0)
    assert box[0] == pytest.approx(ix0 - brush / 2, abs=2) and box[2] == pytest.approx(ix1 + brush / 2, abs=2)


def test_touch_draws_pinch_zooms_and_pen_paints(running_app, browser):
    page = open_components(browser, running_app.url, has_touch=True)
    ed = editor(page)
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, *points: tuple[float, float]) -> None:
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [
            {"x": x, "y": y, "id": i + 1} for i, (x, y) in enumerate(points)]})

    # One finger paints.
    (x0, y0), (x1, _) = to_screen(page, 60, 60), to_screen(page, 200, 60)
    touch("touchStart", (x0, y0))
    for i in range(1, 11):
        touch("touchMove", (x0 + (x1 - x0) * i / 10, y0))
    touch("touchEnd")
    expect(ed).to_have_attribute("data-can-undo", "true")

    # Two fingers zoom (and paint nothing).
    fit = zoom(page)
    cx, cy = to_screen(page, 256, 256)
    touch("touchStart", (cx - 40, cy), (cx + 40, cy))
    for i in range(1, 11):
        touch("touchMove", (cx - 40 - 8 * i, cy), (cx + 40 + 8 * i, cy))
    touch("touchEnd")
    expect(ed).not_to_have_attribute("data-zoom", f"{fit:.4f}")
    assert zoom(page) == pytest.approx(fit * 3, rel=0.05)
    page.get_by_role("button", name="Fit to view").click()

    # A pen paints too.
    (px0, py0), (px1, _) = to_screen(page, 60, 460), to_screen(page, 200, 460)
    pen = {"pointerType": "pen", "force": 0.5}
    cdp.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": px0, "y": py0, **pen})
    cdp.send("Input.dispatchMouseEvent", {"type": "mousePressed", "x": px0, "y": py0, "button": "left",
                                          "clickCount": 1, **pen})
    for i in range(1, 11):
        cdp.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": px0 + (px1 - px0) * i / 10, "y": py0,
                                              "button": "left", "buttons": 1, **pen})
    cdp.send("Input.dispatchMouseEvent", {"type": "mouseReleased", "x": px1, "y": py0, "button": "left",
                                          "clickCount": 1, **pen})

    mask = export(page)
    assert mask.size == (SIZE, SIZE)
    assert white(mask, 130, 60) and white(mask, 130, 460)
    assert not white(mask, 256, 256)  # the pinch did not paint


def test_compare_slider_moves_with_the_keyboard(running_app, browser, shots):
    page = open_components(browser, running_app.url, color_scheme="dark")
    handle = page.get_by_role("slider", name="Compare Original and Cut-out")
    expect(handle).to_have_attribute("aria-valuenow", "50")
    expect(page.get_by_role("img", name="Astronaut portrait, original")).to_be_visible()
    expect(page.get_by_role("img", name="Astronaut portrait cut out on a transparent background")).to_be_visible()
    handle.focus()
    page.keyboard.press("ArrowRight")
    expect(handle).to_have_attribute("aria-valuenow", "55")
    expect(handle).to_have_attribute("aria-valuetext", "55% Original, 45% Cut-out")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(handle).to_have_attribute("aria-valuenow", "45")
    page.keyboard.press("Home")
    expect(handle).to_have_attribute("aria-valuenow", "0")
    page.keyboard.press("End")
    expect(handle).to_have_attribute("aria-valuenow", "100")
    page.keyboard.press("PageDown")
    expect(handle).to_have_attribute("aria-valuenow", "90")

    # Dragging works too: the handle follows the pointer.
    page.locator("#compare").scroll_into_view_if_needed()
    frame = page.locator("#compare").bounding_box()
    assert frame
    page.mouse.move(frame["x"] + frame["width"] * 0.9, frame["y"] + frame["height"] / 2)
    page.mouse.down()
    page.mouse.move(frame["x"] + frame["width"] * 0.3, frame["y"] + frame["height"] / 2, steps=8)
    page.mouse.up()
    expect(handle).to_have_attribute("aria-valuenow", re.compile(r"^(2[89]|3[012])$"))
    page.keyboard.press("End")
    page.keyboard.press("PageDown")
    page.keyboard.press("PageDown")
    page.keyboard.press("PageDown")
    page.keyboard.press("PageDown")
    page.keyboard.press("PageDown")  # 50 %
    page.wait_for_timeout(300)  # the handle's transition

    # The dark theme with a painted and exported mask, for the record.
    stroke(page, (150, 330), (370, 300))
    mask = export(page)
    assert mask.size == (SIZE, SIZE) and white(mask, 260, 315)
    expect(page.locator("#mask-painted")).to_have_text("yes")
    page.evaluate("window.scrollTo(0, 0)")
    page.mouse.move(0, 0)
    page.screenshot(path=shots / "components-dark.png", full_page=True)
    assert page.errors == []  # type: ignore[attr-defined]
