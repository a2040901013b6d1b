"""The lightbox of a page of pictures (studio results, gallery, explore, a profile): one picture full size.

A mixin: the state that mixes it in says which pictures the page shows by overriding `_lightbox_items` (built
from what the page already holds, so opening, stepping and zooming cost no database work and no refetch).
Reflex follows that method call when it tracks what `lightbox_item` depends on.
"""

from __future__ import annotations

from typing import Any, TypedDict

import reflex as rx

from palett.state.events import Reply
from palett.state.session import SessionState

ZOOMS = (1, 2, 3, 4)  # 1 fits the picture to the stage; above that the stage scrolls (pans)


class LightboxItem(TypedDict):
    id: int
    job_id: int
    url: str  # the original: shown zoomed in
    display: str  # what the stage shows fitted: the display rendition (the original when there is none)
    download: str  # "" when this viewer may not download it
    seed: str
    size: str
    prompt: str  # "" when hidden by its author (visitors) or absent (uploads)
    model_label: str
    local: bool
    page: str  # the picture's own page: the image page for its owner, the share page for visitors
    favorite: bool
    likes: int
    liked: bool
    author_name: str
    profile: str  # the author's public profile ("" for the owner's own pages)
    remix: str  # the studio prefilled with its public recipe ("" where Remix makes no sense)


EMPTY = LightboxItem(id=0, job_id=0, url="", display="", download="", seed="", size="", prompt="", model_label="",
                     local=False, page="", favorite=False, likes=0, liked=False, author_name="", profile="", remix="")


def item(**fields: Any) -> LightboxItem:
    """A LightboxItem from the fields a page knows; the rest keep EMPTY's values."""
    return LightboxItem(**{**EMPTY, **fields})  # type: ignore[typeddict-item]


def flatten(jobs: list[Any]) -> list[LightboxItem]:
    """Every result of the listed jobs, newest job first, in each job's order (the studio)."""
    return [item(id=img["id"], job_id=job["id"], url=img["url"], display=img["display"],
                 download=img["download"], seed=img["seed"],
                 size=img["size"], prompt=job["prompt"], model_label=job["model_label"], local=job["local"],
                 page=f"/image/{img['id']}")
            for job in jobs for img in job["images"]]


class ResultsLightbox(SessionState, mixin=True):
    lightbox_id: int = 0  # the picture shown full size; 0 when the lightbox is closed
    lightbox_zoom: int = 1

    def _lightbox_items(self) -> list[LightboxItem]:
        return flatten(self.jobs)  # type: ignore[attr-defined]  # the studio's; other pages override this

    @rx.var
    def lightbox_item(self) -> LightboxItem:
        return next((i for i in self._lightbox_items() if i["id"] == self.lightbox_id), EMPTY)

    @rx.var
    def lightbox_position(self) -> str:
        ids = [i["id"] for i in self._lightbox_items()]
        return f"{ids.index(self.lightbox_id) + 1} of {len(ids)}" if self.lightbox_id in ids else ""

    @rx.event
    def open_lightbox(self, image_id: int) -> None:
        self.lightbox_id, self.lightbox_zoom = int(image_id), 1

    def _close(self) -> Reply:
        shown, self.lightbox_id = self.lightbox_id, 0
        return _focus_tile(shown)

    @rx.event
    def close_lightbox(self) -> Reply:
        return self._close()

    @rx.event
    def set_lightbox_open(self, value: bool) -> Reply:
        return None if value else self._close()

    def _step(self, delta: int) -> None:
        ids = [i["id"] for i in self._lightbox_items()]
        if self.lightbox_id in ids:
            self.lightbox_id = ids[(ids.index(self.lightbox_id) + delta) % len(ids)]
            self.lightbox_zoom = 1

    @rx.event
    def lightbox_step(self, delta: int) -> None:
        self._step(int(delta))

    def _zoom(self, delta: int) -> None:
        self.lightbox_zoom = min(ZOOMS[-1], max(ZOOMS[0], self.lightbox_zoom + delta))

    @rx.event
    def lightbox_zoom_by(self, delta: int) -> None:
        self._zoom(int(delta))

    @rx.event
    def lightbox_key(self, key: str) -> None:
        """Arrows walk through the page's pictures, + and - zoom, 0 fits (Escape is the dialog's own)."""
        if key in ("ArrowLeft", "ArrowRight"):
            self._step(-1 if key == "ArrowLeft" else 1)
        elif key in ("+", "="):
            self._zoom(1)
        elif key in ("-", "_"):
            self._zoom(-1)
        elif key == "0":
            self.lightbox_zoom = 1


def _focus_tile(image_id: int) -> Reply:
    """Back to the tile of the picture last shown (after the dialog has put focus back where it was)."""
    if not image_id:
        return None
    return rx.call_script(f"window.palettFocusTile && window.palettFocusTile({int(image_id)})")
