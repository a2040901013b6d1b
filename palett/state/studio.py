"""The studio: generation options (the form) and the user's live jobs (the canvas)."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import reflex as rx

from palett.models import User
from palett.services.common.db import in_db, session_scope
from palett.services.common.errors import UserError
from palett.services.generation import catalog, jobs
from palett.services.generation.submit import MAX_BATCH
from palett.services.library import gallery
from palett.settings import get_settings
from palett.state.costs import CostPreview, cost_preview
from palett.state.events import Reply
from palett.state.jobs import JobsState, ModelOption, model_options
from palett.state.lightbox import ResultsLightbox
from palett.state.references import ReferencesMixin
from palett.state.session import SessionState, SignedIn, signed_in
from palett.state.studio_defaults import StudioDefaults


class StudioState(JobsState, ReferencesMixin, SessionState):
    def _job_filter(self) -> tuple[tuple[str, ...] | None, bool]:
        return ("t2i",), False

    model: str = ""
    prompt: str = ""
    num_images: int = 1
    size: str = "square_hd"
    seed_random: bool = True
    seed: str = ""
    remixed: bool = False  # the form was just filled from a shared image's public recipe (Remix)
    seed_from_rerun: bool = False  # the fixed seed came from "Re-run settings", not typed by the user
    steps: int = 28
    guidance: float = 3.5
    negative_prompt: str = ""
    style: str = ""
    batch_mode: bool = False
    batch_prompts: str = ""
    form_version: int = 0  # bumped when the server rewrites the form, to remount uncontrolled inputs
    density: str = "m"  # thumbnail size of the results feed: s, m or l
    _defaults_applied: bool = False

    # ---- what the chosen model supports (derived from the catalog) ----

    @rx.var
    def models(self) -> list[ModelOption]:
        """The catalog's models: computed once, so the build compiles them into the page (a full model menu
        before on_load) and no hydrate or on_load sends them again."""
        return model_options("t2i")

    def _spec(self) -> catalog.ModelSpec | None:
        try:
            return catalog.get(self._model_key())
        except UserError:
            return None

    def _model_key(self) -> str:
        """The chosen model; before on_load has picked one (a quick click), the one on_load would pick."""
        return self.model or catalog.default_model("t2i", get_settings()).key

    @rx.var
    def sizes(self) -> list[catalog.SizeChoice]:
        return catalog.size_choices(self._spec())

    @rx.var
    def styles(self) -> list[str]:
        spec = self._spec()
        return list(spec.styles) if spec else []

    @rx.var
    def has_steps(self) -> bool:
        spec = self._spec()
        return bool(spec and spec.steps)

    @rx.var
    def has_guidance(self) -> bool:
        spec = self._spec()
        return bool(spec and spec.guidance)

    @rx.var
    def has_negative(self) -> bool:
        spec = self._spec()
        return bool(spec and spec.negative_prompt)

    @rx.var
    def has_seed(self) -> bool:
        spec = self._spec()
        return bool(spec and spec.seed)

    @rx.var
    def is_local(self) -> bool:
        spec = self._spec()
        return bool(spec and spec.is_local)

    @rx.var
    def model_blurb(self) -> str:
        spec = self._spec()
        return spec.blurb if spec else ""

    @rx.var
    def preview(self) -> CostPreview:
        spec = self._spec()
        return cost_preview(operation=spec.operation if spec else "",
                            job_cost=spec.credits_per_image * self.num_images if spec else 0,
                            jobs=max(1, len(self.batch_list)) if self.batch_mode else 1, balance=self.credits,
                            allowance_kind=self.allowance_kind, allowance_left=self.allowance_left,
                            allowance_cap=self.allowance_cap)

    @rx.var
    def seed_mode(self) -> str:
        """The seed rule in words, next to the seed field, so a fixed seed is never silent."""
        if self.seed_random or not self.seed:
            return "Random: a new seed for every image."
        if self.batch_mode and self.seed_from_rerun:
            return (f"Fixed seed {self.seed} is kept for single prompts; in a batch each prompt gets its own random "
                    "seed. Type a seed to use one for every prompt.")
        if self.batch_mode:
            return f"Fixed seed: every prompt uses seed {self.seed}."
        source = " (from Re-run settings)" if self.seed_from_rerun else ""
        return f"Fixed seed {self.seed}{source}: the same settings make the same image. Switch on Random for new ones."

    @rx.var
    def prompt_length(self) -> int:
        return len(self.prompt)

    @rx.var
    def has_active_jobs(self) -> bool:
        return any(j["active"] for j in self.jobs)

    # ---- loading ----

    @rx.event
    @signed_in
    async def load_studio(self, me: SignedIn) -> Reply:
        settings = get_settings()
        if not self.model or not any(m["key"] == self.model and m["available"] for m in self.models):
            self._apply_model(catalog.default_model("t2i", settings).key)
        if not self._defaults_applied:  # a fresh form starts from the defaults set on the profile page
            self._defaults_applied = True
            await self._apply_defaults()
        query = self.router.url.query_parameters
        draft, recipe, remix = query.get("rerun", ""), query.get("recipe", ""), query.get("remix", "")
        self.remixed = False
        (await self.get_state(StudioLightbox)).lightbox_id = 0
        if draft.isdigit():
            await self._load_recipe(me.user, int(draft))
        elif recipe.isdigit() and len(recipe) < 19:
            await self._load_image_recipe(me.user, int(recipe))
        elif remix:
            await self._load_remix(remix[:64])
        active = await self._refresh_jobs(me.user_id)
        return StudioState.watch if active else None

    async def _apply_defaults(self) -> None:
        defaults = await self.get_state(StudioDefaults)
        if defaults.model and any(m["key"] == defaults.model and m["available"] for m in self.models):
            self._apply_model(defaults.model)
        spec = self._spec()
        if spec and defaults.size in spec.sizes:
            self.size = defaults.size

    def _apply_model(self, key: str) -> None:
        self.model = key
        self.form_version += 1
        spec = self._spec()
        if spec is None:
            return
        if self.size not in spec.sizes:
            self.size = spec.sizes[0]
        if spec.steps:
            self.steps = spec.steps[2]
        if spec.guidance:
            self.guidance = spec.guidance[2]
        self.style = spec.styles[0] if spec.styles else ""
        self.num_images = min(self.num_images, spec.max_images)

    # ---- form events ----

    @rx.event
    def pick_model(self, key: str) -> None:
        if any(m["key"] == key and m["available"] for m in self.models):
            self._apply_model(key)

    @rx.event
    def set_prompt(self, value: str) -> None:
        self.prompt = value[:2000]

    @rx.event
    def set_size(self, value: str) -> None:
        self.size = value

    @rx.event
    def set_num_images(self, value: str | list[str]) -> None:
        raw = value[0] if isinstance(value, list) else value
        if str(raw).isdigit():
            self.num_images = max(1, min(4, int(raw)))

    @rx.event
    def set_steps(self, value: float | str) -> None:
        self.steps = max(1, min(50, int(float(value))))

    @rx.event
    def set_guidance(self, value: float | str) -> None:
        self.guidance = max(1.0, min(20.0, round(float(value), 1)))

    @rx.event
    def set_seed_random(self, value: bool) -> None:
        self.seed_random = value
        self.seed_from_rerun = False

    @rx.event
    def set_seed(self, value: str) -> None:
        self.seed = "".join(ch for ch in value if ch.isdigit())[:10]
        self.seed_from_rerun = False  # typed by the user: an explicit choice, also for batches

    @rx.event
    def set_negative_prompt(self, value: str) -> None:
        self.negative_prompt = value[:1000]

    @rx.event
    def set_style(self, value: str) -> None:
        self.style = value

    def _params(self) -> dict[str, Any]:
        spec = self._spec()
        params: dict[str, Any] = {"model": self._model_key(), "prompt": self.prompt, "num_images": self.num_images,
                                  "size": self.size}
        if spec is None:
            return params
        if spec.seed and not self.seed_random and self.seed:
            params["seed"] = int(self.seed)
        if spec.steps:
            params["steps"] = self.steps
        if spec.guidance:
            params["guidance"] = self.guidance
        if spec.negative_prompt and self.negative_prompt.strip():
            params["negative_prompt"] = self.negative_prompt.strip()
        if spec.styles and self.style:
            params["style"] = self.style
        return {**params, **self._reference_params()}  # the server refuses references a model doesn't take

    # ---- actions ----

    @rx.event(background=True)
    async def generate(self) -> Reply:
        """Submit with the state lock released for the database and queue work (see _submit_unlocked)."""
        return await self._submit_unlocked(self._requests)

    def _requests(self) -> tuple[list[dict[str, Any]], bool] | str:
        """What Generate submits: (one request per prompt, whether they form a batch), or why not."""
        params = self._params()
        if not self.batch_mode:
            return [params], False
        if not self.batch_list:
            return "Write one prompt per line."
        if self.seed_from_rerun:  # a re-run's seed is not a choice to repeat across different prompts
            params.pop("seed", None)
        return [{**params, "prompt": p} for p in self.batch_list], True

    @rx.event
    def set_density(self, value: str | list[str]) -> None:
        value = value[0] if isinstance(value, list) else value
        self.density = value if value in ("s", "m", "l") else "m"

    @rx.event
    def set_batch_mode(self, value: bool) -> None:
        self.batch_mode = value

    @rx.event
    def set_batch_prompts(self, value: str) -> None:
        self.batch_prompts = value[:MAX_BATCH * 2001]

    @rx.var
    def batch_list(self) -> list[str]:
        """Up to 20 non-empty prompts, one per line."""
        return [line.strip()[:2000] for line in self.batch_prompts.splitlines() if line.strip()][:MAX_BATCH]

    async def _load_recipe(self, user: User, job_id: int) -> bool:
        def run() -> dict[str, Any]:
            with session_scope() as db:
                return dict(jobs.owned(db, user.id or 0, job_id).params)

        try:
            params = await asyncio.to_thread(run)
        except UserError as err:
            self.problem = err.message
            return False
        self._fill_form(params)
        return True

    async def _load_image_recipe(self, user: User, image_id: int) -> bool:
        """The form from an image's stored recipe (for images whose job is gone)."""

        def run() -> dict[str, Any]:
            with session_scope() as db:
                return gallery.detail(db, user.id or 0, image_id).rerun

        try:
            params = await asyncio.to_thread(run)
        except UserError as err:
            self.problem = err.message
            return False
        if params.get("operation") != "t2i":
            return False
        self._fill_form(params)
        return True

    async def _load_remix(self, token: str) -> None:
        """The form from a shared image's public recipe (Remix): its model and settings, a random seed, and
        its prompt only if the author shows it."""
        params = await in_db(lambda db: gallery.remix_recipe(db, token))
        if params is None:
            self.problem = "That image isn't shared any more, so there is nothing to remix."
            return
        self._fill_form(params)
        self.remixed = True

    def _fill_form(self, params: dict[str, Any]) -> None:
        if any(m["key"] == params.get("model") and m["available"] for m in self.models):
            self._apply_model(str(params["model"]))
        self.prompt = str(params.get("prompt", ""))
        self.num_images = int(params.get("num_images", 1))
        self.size = str(params.get("size", self.size))
        self.steps = int(params.get("steps") or self.steps)
        self.guidance = float(params.get("guidance") or self.guidance)
        self.negative_prompt = str(params.get("negative_prompt") or "")
        self.style = str(params.get("style") or self.style)
        self.seed = "" if params.get("seed") is None else str(params["seed"])
        self.seed_random = params.get("seed") is None
        self.seed_from_rerun = not self.seed_random
        self.form_version += 1

    @rx.event
    @signed_in
    async def rerun(self, me: SignedIn, job_id: int) -> None:
        """Put a job's exact settings back in the form (nothing is submitted)."""
        await self._load_recipe(me.user, int(job_id))
        return None

    @rx.event
    @signed_in
    async def variations(self, me: SignedIn, job_id: int) -> Reply:
        """Same settings, new seed, submitted at once; the form is left as it is."""

        def run() -> dict[str, Any]:
            with session_scope() as db:
                return dict(jobs.owned(db, me.user_id, int(job_id)).params)

        try:
            params = await asyncio.to_thread(run)
        except UserError as err:
            self.problem = err.message
            return None
        params["seed"] = random.randrange(2**31) if params.get("seed") is not None else None
        return await self._submit({k: v for k, v in params.items() if v is not None})


class StudioLightbox(ResultsLightbox, StudioState):
    """The studio's lightbox, a substate: opening, stepping or zooming changes only this small state, so the browser
    re-renders the dialog and not the form and the whole feed (its pictures come from StudioState.jobs)."""
