"""What the studio and the editor share: submitting jobs and watching them live."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, TypedDict

import reflex as rx

from palett.services.common.db import session_scope
from palett.services.common.errors import UserError
from palett.services.generation import catalog, job_events, jobs, operations, pipeline, submit
from palett.settings import get_settings
from palett.state.events import Reply
from palett.state.session import SIGN_IN, SessionState, SignedIn, signed_in

# Watchers sleep until a job of theirs changes (services.generation.job_events); this is only the
# longest they wait without news, in case a notification was lost.
SAFETY_POLL_SECONDS = 5.0


class ModelOption(TypedDict):
    key: str
    label: str
    available: bool
    reason: str
    blurb: str
    local: bool


class ImageCard(TypedDict):
    id: int
    url: str
    display: str
    thumb: str
    download: str
    seed: str
    size: str


class JobCard(TypedDict):
    id: int
    operation: str
    status: str
    active: bool
    model_label: str
    local: bool
    prompt: str
    num_images: int
    cost: int
    charged: int
    progress: int
    queue_position: int
    last_log: str
    error: str
    created: str
    before: str
    source_id: int  # the gallery image an edit started from (0 for text to image)
    compare: dict[str, str]  # how the before/after slider draws an edit: see compare_frame
    batch_id: str
    images: list[ImageCard]


class BatchCard(TypedDict):
    id: str
    total: int
    done: int
    failed: int
    active: int
    cost: int
    charged: int  # what the finished jobs were charged (failed and cancelled ones: nothing)
    zip_url: str


def model_options(operation: str) -> list[ModelOption]:
    settings = get_settings()
    return [
        ModelOption(key=m.key, label=m.label, available=not catalog.unavailable_reason(m, settings),
                    reason=catalog.unavailable_reason(m, settings), blurb=m.blurb, local=m.is_local)
        for m in catalog.models(operation)
    ]


def compare_frame(view: jobs.JobView) -> dict[str, str]:
    """The result's shape ("W / H") and where the source sits inside it, in % (it only moves for outpaint).

    The slider draws both images whole in a frame of the result's shape, so nothing is cropped, and an
    outpainted result lines up with its source at the same scale.
    """
    whole = {"left": "0%", "top": "0%", "width": "100%", "height": "100%"}
    if not view.images or not view.images[0].width or not view.images[0].height:
        return {"aspect": "", **whole}
    first = view.images[0]
    frame = {"aspect": f"{first.width} / {first.height}", **whole}
    p = view.params
    if view.operation == operations.OpKey.OUTPAINT and p.get("source_width") and p.get("source_height"):
        sw, sh = int(p["source_width"]), int(p["source_height"])
        left, top = int(p.get("left") or 0), int(p.get("top") or 0)
        total_w, total_h = sw + left + int(p.get("right") or 0), sh + top + int(p.get("bottom") or 0)
        frame.update(aspect=f"{total_w} / {total_h}", left=f"{100 * left / total_w:.3f}%",
                     top=f"{100 * top / total_h:.3f}%", width=f"{100 * sw / total_w:.3f}%",
                     height=f"{100 * sh / total_h:.3f}%")
    return frame


def _card(view: jobs.JobView) -> JobCard:
    return JobCard(
        id=view.id, operation=view.operation, status=view.status, active=view.active, model_label=view.model_label,
        local=view.local, prompt=view.prompt or operations.label_of(view.operation),
        num_images=view.num_images, cost=view.cost, charged=view.charged,
        progress=int(view.progress * 100), queue_position=-1 if view.queue_position is None else view.queue_position,
        last_log=view.last_log, error=view.error, created=view.created, before=view.before,
        source_id=int(view.params.get("image_id") or 0), compare=compare_frame(view), batch_id=view.batch_id,
        images=[ImageCard(id=i.id, url=i.url, display=i.display, thumb=i.thumb, download=i.download,
                          seed="" if i.seed is None else str(i.seed), size=f"{i.width}×{i.height}")
                for i in view.images],
    )


def load_cards(user_id: int, operations: tuple[str, ...] | None, exclude: bool) -> tuple[list[JobCard], bool]:
    with session_scope() as db:
        views = jobs.recent(db, user_id, operations=operations, exclude=exclude)
        return [_card(v) for v in views], any(v.active for v in views)


class JobsState(SessionState, mixin=True):
    """A list of the user's recent jobs of some operations, kept live while any is running.

    A mixin, so the studio and the editor each get their own copy of these vars (a shared parent
    state would let one page's watcher overwrite the other's list).
    """

    jobs: list[JobCard] = []
    problem: str = ""
    # Which watch() is the live one. A newer one (this tab reconnected, perhaps to another app instance after
    # the one running the old watcher died with it) takes over; the old one, if still alive, stops at its
    # next look. A "running" flag would stay set for good in Redis when its process is killed.
    _watch_generation: int = 0

    def _job_filter(self) -> tuple[tuple[str, ...] | None, bool]:
        """(operations, exclude): which jobs this page lists."""
        return None, False

    @rx.var
    def batches(self) -> list[BatchCard]:
        """One summary per batch among the listed jobs: per-item progress and a zip of the results."""
        groups: dict[str, list[JobCard]] = {}
        for job in self.jobs:
            if job["batch_id"]:
                groups.setdefault(job["batch_id"], []).append(job)
        cards = []
        for batch_id, items in groups.items():
            ids = [str(img["id"]) for job in items for img in job["images"]]
            cards.append(BatchCard(
                id=batch_id, total=len(items), done=sum(j["status"] == "succeeded" for j in items),
                failed=sum(j["status"] in ("failed", "cancelled") for j in items),
                active=sum(j["active"] for j in items), cost=sum(j["cost"] for j in items),
                charged=sum(j["charged"] for j in items if j["status"] == "succeeded"),
                zip_url="/api/library/download.zip?ids=" + ",".join(ids) if ids else ""))
        return cards

    async def _jobs_settled(self, user_id: int) -> None:
        """Called once no job is running any more."""
        return None

    async def _refresh_jobs(self, user_id: int) -> bool:
        self.jobs, active = await asyncio.to_thread(load_cards, user_id, *self._job_filter())
        return active

    async def _submit(self, params: dict[str, Any]) -> Reply:
        return await self._submit_all([params], batch=False)

    async def _submit_all(self, all_params: list[dict[str, Any]], *, batch: bool = True) -> Reply:
        """Submit one job, or a batch sharing a batch id in ONE transaction: all are reserved or none."""
        user_id = await self.signed_in_user_id()
        if user_id is None:
            return rx.redirect(SIGN_IN)
        self.problem = ""
        try:
            await submit.submit(user_id=user_id, requests=all_params, batch=batch)
        except UserError as err:
            self.problem = err.message
            return None
        await self.current_user()  # the balance dropped by the reservation
        await self._refresh_jobs(user_id)
        return type(self).watch

    async def _submit_unlocked(self, read_form: Callable[[], tuple[list[dict[str, Any]], bool] | str]) -> Reply:
        """_submit_all for background handlers: the form and the user are read under the state lock, but
        validating, reserving, writing, enqueueing and reading the new cards run with it released, so a
        slow database never holds this tab's lock (in Redis, shared by every process) past its timeout.

        read_form returns (requests, batch) or a message to show instead of submitting.
        """
        async with self:
            user_id = await self.signed_in_user_id()
            if user_id is None:
                return rx.redirect(SIGN_IN)
            form = read_form()
            self.problem = form if isinstance(form, str) else ""
            job_filter = self._job_filter()
        if isinstance(form, str):
            return None
        requests, batch = form
        try:
            await submit.submit(user_id=user_id, requests=requests, batch=batch)
        except UserError as err:
            async with self:
                self.problem = err.message
            return None
        cards, _ = await asyncio.to_thread(load_cards, user_id, *job_filter)
        async with self:
            await self.current_user()  # the balance dropped by the reservation
            self.jobs = cards
        return self.__class__.watch  # not type(self): in a background task self is a StateProxy

    @rx.event
    @signed_in
    async def cancel(self, me: SignedIn, job_id: int) -> None:

        def run() -> bool:
            with session_scope() as db:
                return pipeline.cancel(db, user_id=me.user_id, job_id=int(job_id))

        await asyncio.to_thread(run)
        await self.current_user()
        await self._refresh_jobs(me.user_id)
        return None

    @rx.event
    def copy_seed(self, seed: str) -> Reply:
        return [rx.set_clipboard(seed), rx.toast.success(f"Seed {seed} copied")]

    @rx.event(background=True)
    async def watch(self) -> None:
        """Refresh the user's jobs while any is active. Jobs run on the server whether or not this runs."""
        async with self:
            self._watch_generation += 1
            mine = self._watch_generation
            found = await self.current_user()
            job_filter = self._job_filter()
        if found is None:
            return
        user_id = found[1].id or 0
        async with contextlib.aclosing(job_events.changes(user_id, timeout=SAFETY_POLL_SECONDS)) as changes:
            async for _ in changes:
                cards, active = await asyncio.to_thread(load_cards, user_id, *job_filter)
                async with self:
                    if self._watch_generation != mine:
                        return  # a newer watcher of this tab took over
                    self.jobs = cards
                    if not active:
                        await self.current_user()  # final balance after capture or refund
                        await self._jobs_settled(user_id)
                        return
