"""The editor: pick or upload an image, choose a tool and its settings, run it, compare, chain."""

from __future__ import annotations

import asyncio
from typing import Any, TypedDict

import reflex as rx

from palett.services.common.db import session_scope
from palett.services.common.errors import UserError
from palett.services.generation import catalog, operations
from palett.services.generation.local_ops.outpaint import padding_for_aspect
from palett.services.generation.operations.outpaint import MAX_PADDING
from palett.services.generation.operations.style import STYLE_LABELS
from palett.services.generation.submit import MAX_BATCH
from palett.services.library import images as library
from palett.services.media.masks import store_mask
from palett.state.costs import CostPreview, cost_preview
from palett.state.events import Reply
from palett.state.jobs import JobsState, ModelOption, model_options
from palett.state.session import SessionState, SignedIn, signed_in

ASPECTS = ["16:9", "4:3", "1:1", "3:4", "9:16", "21:9"]


class StyleOption(TypedDict):
    key: str
    label: str
    thumb: str


def editor_operation(key: str) -> operations.Operation | None:
    op = operations.get(key)
    return op if op is not None and op.in_editor else None


class EditState(JobsState, SessionState):
    tool: str = "bg_remove"
    model: str = ""
    models: list[ModelOption] = []
    source: library.ImageRef = library.ImageRef(id=0, url="", thumb="", width=0, height=0, label="")
    library_images: list[library.ImageRef] = []
    upload_error: str = ""
    uploading: bool = False
    # tool settings: the form each operation reads its request from (Operation.request)
    prompt: str = ""
    strength: float = 0.85
    bg_mode: str = "color"
    color: str = "#ffffff"
    background_id: int = 0
    upscale_mode: str = "2x"
    long_side: str = "4096"
    left: int = 0
    top: int = 0
    right: int = 0
    bottom: int = 0
    style: str = "watercolor"
    reference_id: int = 0
    faces: bool = True
    mask_key: str = ""
    mask_request: int = 0  # bump to ask the mask editor for an export
    batch_ids: list[int] = []

    def _job_filter(self) -> tuple[tuple[str, ...] | None, bool]:
        return ("t2i",), True

    def _spec(self) -> catalog.ModelSpec | None:
        try:
            return catalog.get(self.model)
        except UserError:
            return None

    # ---- derived ----

    def _form(self) -> dict[str, Any]:
        return {"prompt": self.prompt, "strength": self.strength, "bg_mode": self.bg_mode, "color": self.color,
                "background_id": self.background_id, "upscale_mode": self.upscale_mode,
                "long_side": self.long_side, "left": self.left, "top": self.top, "right": self.right,
                "bottom": self.bottom, "style": self.style, "reference_id": self.reference_id, "faces": self.faces}

    @rx.var
    def tools(self) -> list[list[str]]:
        """[key, label, icon] of every editing operation, in tab order."""
        return [[op.key, op.label, op.icon] for op in operations.editor_operations()]

    @rx.var
    def tool_hint(self) -> str:
        op = editor_operation(self.tool)
        return op.hint if op else ""

    @rx.var
    def needs_mask(self) -> bool:
        op = editor_operation(self.tool)
        return bool(op and op.needs_mask)

    @rx.var
    def has_source(self) -> bool:
        return self.source.id > 0

    @rx.var
    def preview(self) -> CostPreview:
        spec = self._spec()
        return cost_preview(operation=spec.operation if spec else "", job_cost=spec.credits_per_image if spec else 0,
                            jobs=max(1, len(self.batch_ids)), balance=self.credits,
                            allowance_kind=self.allowance_kind, allowance_left=self.allowance_left,
                            allowance_cap=self.allowance_cap)

    @rx.var
    def is_local(self) -> bool:
        spec = self._spec()
        return bool(spec and spec.is_local)

    @rx.var
    def model_blurb(self) -> str:
        spec = self._spec()
        return spec.blurb if spec else ""

    @rx.var
    def bg_modes(self) -> list[str]:
        spec = self._spec()
        return list(spec.extra.get("modes", ())) if spec else []

    @rx.var
    def style_options(self) -> list[StyleOption]:
        spec = self._spec()
        keys = spec.styles if spec else ()
        return [StyleOption(key=k, label=STYLE_LABELS.get(k, k.title()), thumb=f"/styles/{k}.webp") for k in keys]

    @rx.var
    def result_size(self) -> str:
        w, h = self.source.width, self.source.height
        op = editor_operation(self.tool)
        if not w:
            return ""
        if op is not None:  # the operation's own arithmetic, unvalidated: this is only a preview
            preview = op.input_model.model_construct(**op.request(self._form()), source_width=w, source_height=h)
            if isinstance(preview, operations.EditInput):
                w, h = preview.output_size()
        return f"{w} × {h}"

    @rx.var
    def canvas_preview(self) -> dict[str, str]:
        """CSS for the outpaint preview: the new canvas, with the original placed inside it."""
        w, h = self.source.width, self.source.height
        total_w, total_h = w + self.left + self.right, h + self.top + self.bottom
        if not w or not total_w:
            return {"aspect": "1 / 1", "left": "0%", "top": "0%", "width": "100%", "height": "100%"}
        return {"aspect": f"{total_w} / {total_h}", "left": f"{100 * self.left / total_w:.2f}%",
                "top": f"{100 * self.top / total_h:.2f}%", "width": f"{100 * w / total_w:.2f}%",
                "height": f"{100 * h / total_h:.2f}%"}

    @rx.var
    def latest_result(self) -> dict[str, str]:
        """The newest finished edit OF THE IMAGE IN THE IMAGE PANEL, for the before/after slider.

        After a batch over other images the slider keeps comparing the image the user is working on, so the
        two panels always show the same picture; the batch's results are in "Recent edits".
        """
        for job in self.jobs:
            if job["status"] == "succeeded" and job["images"] and job["before"] \
                    and job["source_id"] == self.source.id:
                # The result's display rendition: a 4K upscale's PNG is tens of MB (download keeps it).
                return {"before": job["before"], "after": job["images"][0]["display"],
                        "id": str(job["images"][0]["id"]), "download": job["images"][0]["download"],
                        **job["compare"]}
        return {"before": "", "after": "", "id": "", "download": "", "aspect": "", "left": "0%", "top": "0%",
                "width": "100%", "height": "100%"}

    # ---- loading ----

    @rx.event
    @signed_in
    async def load_editor(self, me: SignedIn) -> Reply:
        user_id = me.user_id
        params = self.router.url.query_parameters
        if editor_operation(params.get("tool", "")):
            self.tool = params["tool"]
        self._apply_tool(self.tool)
        wanted = params.get("image", "")
        if wanted.isdigit():
            await self._use_image(user_id, int(wanted))
        await self._refresh_library(user_id)
        active = await self._refresh_jobs(user_id)
        return EditState.watch if active else None

    async def _jobs_settled(self, user_id: int) -> None:
        await self._refresh_library(user_id)  # new results can be picked and batched

    async def _refresh_library(self, user_id: int) -> None:
        def run() -> list[library.ImageRef]:
            with session_scope() as db:
                return library.recent_images(db, user_id)

        self.library_images = await asyncio.to_thread(run)

    async def _use_image(self, user_id: int, image_id: int) -> None:
        def run() -> library.ImageRef:
            with session_scope() as db:
                return library.owned_image(db, user_id, image_id)

        try:
            self.source = await asyncio.to_thread(run)
        except UserError as err:
            self.problem = err.message
            return
        self.mask_key = ""
        self.left = self.top = self.right = self.bottom = 0

    def _apply_tool(self, tool: str) -> None:
        self.tool = tool
        self.models = model_options(tool)
        available = [m for m in self.models if m["available"]]
        if not any(m["key"] == self.model for m in available):
            self.model = available[0]["key"] if available else ""
        spec = self._spec()
        if spec and spec.styles and self.style not in spec.styles:
            self.style = spec.styles[0]
        modes = spec.extra.get("modes", ()) if spec else ()
        if modes and self.bg_mode not in modes:
            self.bg_mode = modes[0]
        self.problem = ""

    # ---- events ----

    @rx.event
    def pick_tool(self, tool: str) -> None:
        if editor_operation(tool):
            self._apply_tool(tool)

    @rx.event
    def pick_model(self, key: str) -> None:
        if any(m["key"] == key and m["available"] for m in self.models):
            self.model = key
            self._apply_tool(self.tool)

    @rx.event
    @signed_in
    async def pick_image(self, me: SignedIn, image_id: int) -> None:
        await self._use_image(me.user_id, int(image_id))
        return None

    @rx.event
    def upload_started(self) -> None:
        self.uploading, self.upload_error = True, ""

    @rx.event
    @signed_in
    async def upload_finished(self, me: SignedIn, answer: dict[str, Any]) -> None:
        self.uploading = False
        if not isinstance(answer, dict) or "id" not in answer:
            message = answer.get("message") if isinstance(answer, dict) else None
            self.upload_error = str(message or "The upload failed.")[:200]
            return None
        await self._use_image(me.user_id, int(answer["id"]))
        await self._refresh_library(me.user_id)
        return None

    @rx.event
    def set_prompt(self, value: str) -> None:
        self.prompt = value[:2000]

    @rx.event
    def set_strength(self, value: float | str) -> None:
        self.strength = max(0.0, min(1.0, round(float(value), 2)))

    @rx.event
    def set_bg_mode(self, value: str | list[str]) -> None:
        value = value[0] if isinstance(value, list) else value
        self.bg_mode = value

    @rx.event
    def set_color(self, value: str) -> None:
        self.color = value[:7]

    @rx.event
    def set_background(self, image_id: str) -> None:
        self.background_id = int(image_id) if str(image_id).isdigit() else 0

    @rx.event
    def set_upscale_mode(self, value: str | list[str]) -> None:
        value = value[0] if isinstance(value, list) else value
        self.upscale_mode = value

    @rx.event
    def set_long_side(self, value: str | list[str]) -> None:
        value = value[0] if isinstance(value, list) else value
        self.long_side = value

    @rx.event
    def set_side(self, side: str, value: str) -> None:  # value comes from a number input
        amount = max(0, min(MAX_PADDING, int(value))) if value.isdigit() else 0
        if side in ("left", "top", "right", "bottom"):
            setattr(self, side, amount)

    @rx.event
    def set_aspect(self, aspect: str) -> None:
        if self.source.width:
            self.left, self.top, self.right, self.bottom = padding_for_aspect(
                self.source.width, self.source.height, aspect)

    @rx.event
    def set_style(self, value: str) -> None:
        self.style = value

    @rx.event
    def set_reference(self, image_id: str) -> None:
        self.reference_id = int(image_id) if str(image_id).isdigit() else 0

    @rx.event
    def set_faces(self, value: bool) -> None:
        self.faces = value

    @rx.event
    def toggle_batch(self, image_id: int) -> None:
        image_id = int(image_id)
        if image_id in self.batch_ids:
            self.batch_ids = [i for i in self.batch_ids if i != image_id]
        elif len(self.batch_ids) < MAX_BATCH:
            self.batch_ids = [*self.batch_ids, image_id]

    @rx.event
    def clear_batch(self) -> None:
        self.batch_ids = []

    @rx.event
    @signed_in
    async def mask_exported(self, me: SignedIn, data_url: str) -> Reply:
        """The mask editor's export arrives here; then the inpaint job is submitted."""
        size = (self.source.width, self.source.height)
        try:
            self.mask_key = await asyncio.to_thread(store_mask, me.user_id, data_url, size)
        except UserError as err:
            self.problem = err.message
            return None
        return await self._submit(self._params(self.source.id))

    def _params(self, image_id: int) -> dict[str, Any]:
        op = editor_operation(self.tool)
        extra = op.request(self._form()) if op else {}
        if op and op.needs_mask:
            extra["mask_key"] = self.mask_key
        return {"model": self.model, "image_id": image_id, **extra}

    @rx.event
    async def run(self) -> Reply:
        if self.batch_ids:
            return await self._run_batch()
        if not self.has_source:
            self.problem = "Upload or pick an image first."
            return None
        if self.needs_mask:
            self.mask_request += 1  # the editor exports; mask_exported submits
            return None
        return await self._submit(self._params(self.source.id))

    async def _run_batch(self) -> Reply:
        """One job per selected image, sharing a batch id; each is charged and refunded on its own."""
        if self.needs_mask:
            self.problem = "This tool needs a mask per image, so it can't run as a batch."
            return None
        all_params = [self._params(image_id) for image_id in self.batch_ids]
        self.batch_ids = []
        return await self._submit_all(all_params)

    @rx.event
    @signed_in
    async def use_result(self, me: SignedIn, image_id: str) -> None:
        """Feed a result into the next tool."""
        if image_id.isdigit():
            await self._use_image(me.user_id, int(image_id))
            await self._refresh_library(me.user_id)
        return None

