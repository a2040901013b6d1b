"""/dev/components: the mask editor and the before/after slider on a fixed image. Not registered in production.

The state decodes every exported mask and shows its pixel size, its share of white pixels and where they are,
so a browser test (tests/browser/test_components_browser.py) can check the export end to end.
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache
from pathlib import Path

import reflex as rx
from PIL import Image, ImageDraw, UnidentifiedImageError

from palett.components.compare_slider import compare_slider
from palett.components.layout import page
from palett.components.mask_editor import export_mask, mask_editor
from palett.services.media.masks import mask_png_bytes
from palett.state.session import SessionState

SAMPLE = "/showcase/astronaut.png"
SAMPLE_FILE = Path(__file__).resolve().parents[2] / "assets" / "showcase" / "astronaut.png"
EDITOR_ID = "mask-editor"


@lru_cache(maxsize=1)
def cutout_url() -> str:
    """The sample cut out in an ellipse with a transparent background (WebP, ~20 KB), built once."""
    try:
        img = Image.open(SAMPLE_FILE).convert("RGBA")
    except (OSError, UnidentifiedImageError):
        return SAMPLE
    w, h = img.size
    k = 4  # draw the ellipse 4x larger and scale down: smooth edges
    alpha = Image.new("L", (w * k, h * k), 0)
    ImageDraw.Draw(alpha).ellipse((w * k * 0.17, h * k * 0.08, w * k * 0.83, h * k * 0.92), fill=255)
    img.putalpha(alpha.resize((w, h), Image.Resampling.LANCZOS))
    buf = io.BytesIO()
    img.save(buf, "WEBP", quality=82, method=6)
    return "data:image/webp;base64," + base64.b64encode(buf.getvalue()).decode()


class DevComponentsState(rx.State):
    mask_url: str = ""
    mask_width: int = 0
    mask_height: int = 0
    white_percent: float = 0.0
    white_box: str = ""
    two_tone: bool = False
    exports: int = 0
    export_trigger: int = 0
    painted: bool = False
    auto_export: bool = False
    problem: str = ""

    @rx.event
    def got_mask(self, data_url: str) -> None:
        try:
            png = mask_png_bytes(data_url)
            with Image.open(io.BytesIO(png)) as img:
                gray = img.convert("L")
        except (ValueError, OSError, UnidentifiedImageError) as exc:
            self.problem = f"Not a usable mask: {exc}"
            return
        hist = gray.histogram()
        total = gray.width * gray.height
        box = gray.point(lambda v: 255 if v >= 128 else 0).getbbox()
        self.mask_url = data_url
        self.mask_width, self.mask_height = gray.size
        self.white_percent = round(100 * sum(hist[128:]) / total, 2)
        self.white_box = ",".join(map(str, box)) if box else ""
        self.two_tone = sum(hist[1:255]) == 0
        self.exports += 1
        self.problem = ""

    @rx.event
    def request_export(self) -> None:
        self.export_trigger += 1

    @rx.event
    def set_painted(self, painted: bool) -> None:
        self.painted = painted

    @rx.event
    def set_auto_export(self, on: bool) -> None:
        self.auto_export = on


def stat(label: str, value: rx.Var | str, stat_id: str) -> rx.Component:
    return rx.hstack(
        rx.text(label, size="2", color_scheme="gray"),
        rx.spacer(),
        rx.text(value, size="2", weight="medium", id=stat_id),
        width="100%",
    )


def mask_result() -> rx.Component:
    s = DevComponentsState
    return rx.card(
        rx.vstack(
            rx.heading("Exported mask", size="4", as_="h2"),
            rx.cond(
                s.mask_url != "",
                rx.image(src=s.mask_url, alt="Exported mask: white is the area to fill", id="mask-preview",
                         width="100%", class_name="dev-mask-preview",
                         style={"border_radius": "10px", "border": "1px solid var(--gray-a6)",
                                "image_rendering": "pixelated", "aspect_ratio": "1 / 1", "object_fit": "contain",
                                "background": "var(--gray-3)"}),
                rx.center(
                    rx.vstack(
                        rx.icon("image_down", size=26, color="var(--gray-9)"),
                        rx.text("Paint on the image, then export.", size="2", color_scheme="gray",
                                align="center"),
                        align="center",
                        spacing="2",
                    ),
                    width="100%",
                    style={"aspect_ratio": "1 / 1", "border": "2px dashed var(--gray-a5)", "border_radius": "10px"},
                ),
            ),
            stat("Size", s.mask_width.to_string() + " × " + s.mask_height.to_string() + " px", "mask-size"),
            stat("White (to fill)", s.white_percent.to_string() + " %", "mask-white"),
            stat("White area box", rx.cond(s.white_box != "", s.white_box, "—"), "mask-box"),
            stat("Only black and white", rx.cond(s.two_tone, "yes", "no"), "mask-two-tone"),
            stat("Exports", s.exports.to_string(), "mask-exports"),
            stat("Painted", rx.cond(s.painted, "yes", "no"), "mask-painted"),
            rx.cond(s.problem != "", rx.callout(s.problem, icon="circle_alert", color_scheme="red", size="1",
                                                 role="alert")),
            spacing="3",
            width="100%",
        ),
        size="3",
        width="100%",
    )


def dev_components_page() -> rx.Component:
    return page(
        rx.vstack(
            rx.hstack(rx.heading("Components", size="8", as_="h1"),
                      rx.badge("development only", color_scheme="amber"), align="center", wrap="wrap"),
            rx.text("The mask editor and the before/after slider with a fixed sample image.", color_scheme="gray"),
            rx.flex(
                rx.card(
                    rx.vstack(
                        rx.hstack(
                            rx.heading("Mask editor", size="4", as_="h2"),
                            rx.spacer(),
                            rx.el.label(
                                rx.hstack(rx.switch(id="auto-export", checked=DevComponentsState.auto_export,
                                                    on_change=DevComponentsState.set_auto_export),
                                          rx.text("Auto export", size="2"), align="center", spacing="2"),
                                html_for="auto-export",
                            ),
                            rx.button(rx.icon("send", size=16), "Export via state", variant="soft",
                                      on_click=DevComponentsState.request_export, id="export-via-state"),
                            rx.button(rx.icon("image_down", size=16), "Export mask",
                                      on_click=export_mask(EDITOR_ID), id="export-mask"),
                            width="100%",
                            align="center",
                            wrap="wrap",
                        ),
                        mask_editor(
                            SAMPLE,
                            id=EDITOR_ID,
                            alt="Astronaut portrait",
                            on_export=DevComponentsState.got_mask,
                            on_mask_change=DevComponentsState.set_painted,
                            export_trigger=DevComponentsState.export_trigger,
                            auto_export=DevComponentsState.auto_export,
                            height="600px",
                        ),
                        spacing="3",
                        width="100%",
                    ),
                    size="3",
                    flex="2 1 560px",
                    min_width="0",
                ),
                rx.box(mask_result(), flex="1 1 260px", max_width="100%"),
                gap="20px",
                wrap="wrap",
                align="start",
                width="100%",
            ),
            rx.card(
                rx.vstack(
                    rx.heading("Before / after", size="4", as_="h2"),
                    rx.text("Drag the handle, or focus it and use the arrow keys, Home and End. The checkerboard "
                            "shows through transparent areas.", size="2", color_scheme="gray"),
                    rx.center(
                        compare_slider(SAMPLE, cutout_url(), before_alt="Astronaut portrait, original",
                                       after_alt="Astronaut portrait cut out on a transparent background",
                                       before_label="Original", after_label="Cut-out", id="compare",
                                       max_width="560px"),
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                size="3",
                width="100%",
            ),
            spacing="5",
            padding_y="40px",
            width="100%",
        ),
        width="1200px",
    )


ON_LOAD = [SessionState.load]
