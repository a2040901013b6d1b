"""The results lightbox of a jobs page: one result full size, arrows walk through all results, Escape closes.

A mixin for a state that also mixes in JobsState (it reads `self.jobs`): the lightbox shows what the job list
already holds, so opening it or stepping costs no database work.
"""

from __future__ import annotations

from typing import Any, TypedDict

import reflex as rx

from palett.state.session import SessionState


class LightboxItem(TypedDict):
    id: int
    job_id: int
    url: str
    download: str
    seed: str
    size: str
    prompt: str
    model_label: str
    local: bool


EMPTY = LightboxItem(id=0, job_id=0, url="", download="", seed="", size="", prompt="", model_label="", local=False)


def flatten(jobs: list[Any]) -> list[LightboxItem]:
    """Every result of the listed jobs, newest job first, in each job's order."""
    return [LightboxItem(id=img["id"], job_id=job["id"], url=img["url"], download=img["download"], seed=img["seed"],
                         size=img["size"], prompt=job["prompt"], model_label=job["model_label"], local=job["local"])
            for job in jobs for img in job["images"]]


class ResultsLightbox(SessionState, mixin=True):
    lightbox_id: int = 0  # the result shown full size; 0 when the lightbox is closed

    @rx.var
    def lightbox_item(self) -> LightboxItem:
        items = flatten(self.jobs)  # type: ignore[attr-defined]
        return next((i for i in items if i["id"] == self.lightbox_id), EMPTY)

    @rx.var
    def lightbox_position(self) -> str:
        ids = [i["id"] for i in flatten(self.jobs)]  # type: ignore[attr-defined]
        return f"{ids.index(self.lightbox_id) + 1} of {len(ids)}" if self.lightbox_id in ids else ""

    @rx.event
    def open_lightbox(self, image_id: int) -> None:
        self.lightbox_id = int(image_id)

    @rx.event
    def close_lightbox(self) -> None:
        self.lightbox_id = 0

    @rx.event
    def set_lightbox_open(self, value: bool) -> None:
        if not value:
            self.lightbox_id = 0

    def _step(self, delta: int) -> None:
        ids = [i["id"] for i in flatten(self.jobs)]  # type: ignore[attr-defined]
        if self.lightbox_id in ids:
            self.lightbox_id = ids[(ids.index(self.lightbox_id) + delta) % len(ids)]

    @rx.event
    def lightbox_step(self, delta: int) -> None:
        self._step(int(delta))

    @rx.event
    def lightbox_key(self, key: str) -> None:
        """Left/right arrows walk through the results (Escape is the dialog's own)."""
        if key in ("ArrowLeft", "ArrowRight"):
            self._step(-1 if key == "ArrowLeft" else 1)
