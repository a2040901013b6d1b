"""One image's page: the picture with zoom, its full recipe, sharing, collections and actions.

The image id comes from the URL (/image/<id>) and is checked against the signed-in user by
services.gallery on every event; arrow keys move to the neighbours in the gallery's current order.
"""

from __future__ import annotations

from typing import Any, TypedDict

import reflex as rx
from sqlmodel import Session as DB

from palett.services.common import presenters
from palett.services.common.db import in_db
from palett.services.common.errors import UserError
from palett.services.generation import submit
from palett.services.library import gallery
from palett.settings import get_settings
from palett.state.costs import CostPreview, cost_preview
from palett.state.events import Reply
from palett.state.gallery.grid import GalleryState
from palett.state.session import SIGN_IN, SessionState, SignedIn, signed_in


class ImageView(TypedDict):
    id: int
    url: str  # the original: shown at 100%
    display: str  # shown fitted: the display rendition (the original when there is none)
    width: int
    height: int
    prompt: str
    negative_prompt: str
    model_label: str
    local: bool
    operation: str
    operation_label: str
    favorite: bool
    is_public: bool
    source_id: int
    source_url: str
    mask_url: str
    likes: int
    alt: str


class RecipeRow(TypedDict):
    label: str
    value: str


EMPTY = ImageView(id=0, url="", display="", width=0, height=0, prompt="", negative_prompt="", model_label="",
                  local=False, operation="", operation_label="", favorite=False, is_public=False, source_id=0,
                  source_url="", mask_url="", likes=0, alt="")
PROVIDERS = {"fal": "Fal AI", "openai": "OpenAI", "local": "This server (local engine, not AI)", "upload": "Upload"}


def recipe_rows(d: gallery.ImageDetail) -> list[RecipeRow]:
    """The recipe as label/value pairs, leaving out what this image doesn't have."""
    rows = [
        ("Operation", d.operation_label),
        ("Model", d.model_label),
        ("Provider", PROVIDERS.get(d.provider, d.provider)),
        ("Size", d.size),
        ("Seed", "" if d.seed is None else str(d.seed)),
        ("Steps", "" if d.steps is None else str(d.steps)),
        ("Guidance", "" if d.guidance is None else f"{d.guidance:g}"),
        ("Style", d.style.replace("_", " ")),
        ("Cost", "" if d.cost is None else presenters.credits(d.cost)
                                            + (f" for {d.job_images} images" if d.job_images > 1 else "")),
        ("Duration", presenters.duration(d.duration_ms)),
        ("Created", presenters.short_date(d.created) + " · " + d.created[11:16] + " UTC" if d.created else ""),
        ("Job", f"#{d.job_id}" if d.job_id else ""),
    ]
    return [RecipeRow(label=label, value=value) for label, value in rows if value]


def rerun_href(d: gallery.ImageDetail) -> str:
    """Where "re-run exactly" goes: a studio draft for a generation, the editor for an edit."""
    if d.operation == "t2i":
        if d.job_id:
            return f"/studio?rerun={d.job_id}"
        return f"/studio?recipe={d.id}" if d.rerun else ""
    if d.operation != "upload" and d.source_image_id:
        return f"/edit?image={d.source_image_id}&tool={d.operation}"
    return ""


class ImageState(SessionState):
    image: ImageView = EMPTY
    recipe: list[RecipeRow] = []
    in_collections: list[gallery.CollectionRef] = []
    all_collections: list[gallery.CollectionView] = []
    rerun_link: str = ""
    rerun_in_studio: bool = False
    can_vary: bool = False
    vary_cost: int = 0  # what a variation (same recipe, new seed) costs before any plan allowance
    share_url: str = ""
    prompt_public: bool = True  # visitors of the public image see its prompt (the author's choice)
    prev_id: int = 0
    next_id: int = 0
    zoomed: bool = False
    missing: bool = False
    loaded: bool = False
    working: bool = False
    _rerun: dict[str, Any] = {}

    @rx.var
    def vary_preview(self) -> CostPreview:
        return cost_preview(operation=self.image["operation"], job_cost=self.vary_cost, jobs=1, balance=self.credits,
                            allowance_kind=self.allowance_kind, allowance_left=self.allowance_left,
                            allowance_cap=self.allowance_cap)

    @rx.var
    def download_base(self) -> str:
        return f"/api/library/images/{self.image['id']}/download?format="

    def _wanted_id(self) -> int:
        raw = str(self.router.page.params.get("image_id", "") or "")
        if not raw.isdigit():
            raw = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]
        return int(raw) if raw.isdigit() and len(raw) < 19 else 0

    @rx.event
    @signed_in
    async def load_image(self, me: SignedIn) -> None:
        user_id = me.user_id
        self.zoomed = False
        await self._fill(user_id, self._wanted_id())
        return None

    async def _fill(self, user_id: int, image_id: int) -> None:
        grid = await self.get_state(GalleryState)
        filters = grid._filters()

        def work(db: DB) -> tuple[gallery.ImageDetail, gallery.Neighbours, list[gallery.CollectionView]]:
            found = gallery.detail(db, user_id, image_id)
            try:
                around = gallery.neighbours(db, user_id, image_id, filters=filters)
            except UserError:  # the gallery's collection filter went away: plain newest-first order
                around = gallery.neighbours(db, user_id, image_id)
            return found, around, gallery.list_collections(db, user_id)

        try:
            d, around, views = await in_db(work)
        except UserError:
            self.missing, self.loaded, self.image = True, True, EMPTY
            return
        self.missing, self.loaded = False, True
        self.image = ImageView(
            id=d.id, url=d.url, display=d.display, width=d.width, height=d.height, prompt=d.prompt,
            negative_prompt=d.negative_prompt, model_label=d.model_label, local=d.local, operation=d.operation,
            operation_label=d.operation_label,
            favorite=d.favorite, is_public=d.is_public, source_id=d.source_image_id or 0, source_url=d.source_url,
            mask_url=d.mask_url, likes=d.likes, alt=d.prompt[:200] or d.operation_label,
        )
        self.recipe = recipe_rows(d)
        self.in_collections = d.collections
        self.all_collections = views
        self.rerun_link = rerun_href(d)
        self.rerun_in_studio = d.operation == "t2i"
        self._rerun = dict(d.rerun)
        self.can_vary = bool(d.rerun) and d.seed is not None
        self.vary_cost = d.cost or 0
        self.share_url = self._share_url(d.share_token if d.is_public else None)
        self.prompt_public = d.prompt_public
        self.prev_id, self.next_id = around.prev or 0, around.next or 0
        grid._return_to = d.id  # Esc or "Gallery" scrolls back to this image

    @staticmethod
    def _share_url(token: str | None) -> str:
        return f"{get_settings().public_url.rstrip('/')}/api/share/{token}" if token else ""

    # ---- simple actions ----

    @rx.event
    def toggle_zoom(self) -> None:
        self.zoomed = not self.zoomed

    @rx.event
    def copy_prompt(self) -> Reply:
        return [rx.set_clipboard(self.image["prompt"]), rx.toast.success("Prompt copied.")]

    @rx.event
    def copy_share_link(self) -> Reply:
        if not self.share_url:
            return None
        return [rx.set_clipboard(self.share_url), rx.toast.success("Share link copied.")]

    @rx.event
    @signed_in
    async def toggle_favorite(self, me: SignedIn) -> Reply:
        user_id = me.user_id
        image_id, wanted = self.image["id"], not self.image["favorite"]
        try:
            now = await in_db(lambda db: gallery.set_favorite(db, user_id, image_id, wanted))
        except UserError as err:
            return rx.toast.error(err.message)
        self.image = ImageView(**{**self.image, "favorite": now})
        return None

    @rx.event
    @signed_in
    async def set_public(self, me: SignedIn, public: bool) -> Reply:
        user_id = me.user_id
        image_id = self.image["id"]
        try:
            changed = await in_db(lambda db: gallery.set_public(db, user_id, [image_id], bool(public)))
        except UserError as err:
            return rx.toast.error(err.message)
        if not changed:
            return rx.toast.error(UserError("image_not_found").message)
        self.image = ImageView(**{**self.image, "is_public": changed[0].is_public})
        self.share_url = self._share_url(changed[0].share_token)
        return None

    @rx.event
    @signed_in
    async def set_prompt_public(self, me: SignedIn, shown: bool) -> Reply:
        user_id, image_id = me.user_id, self.image["id"]
        try:
            self.prompt_public = await in_db(lambda db: gallery.set_prompt_public(db, user_id, image_id, bool(shown)))
        except UserError as err:
            return rx.toast.error(err.message)
        return None

    # ---- collections ----

    @rx.event
    async def add_to_collection(self, collection_id: int) -> Reply:
        return await self._collection_change(int(collection_id), add=True)

    @rx.event
    async def remove_from_collection(self, collection_id: int) -> Reply:
        return await self._collection_change(int(collection_id), add=False)

    async def _collection_change(self, collection_id: int, *, add: bool) -> Reply:
        user_id = await self.signed_in_user_id()
        if user_id is None:
            return rx.redirect(SIGN_IN)
        image_id = self.image["id"]

        def work(db: DB) -> list[gallery.CollectionRef]:
            change = gallery.add_images if add else gallery.remove_images
            change(db, user_id, collection_id, [image_id])
            return gallery.collections_of(db, user_id, image_id)

        try:
            refs = await in_db(work)
        except UserError as err:
            return rx.toast.error(err.message)
        self.in_collections = refs
        return None

    # ---- bigger actions ----

    @rx.event
    @signed_in
    async def delete_image(self, me: SignedIn) -> Reply:
        user_id = me.user_id
        image_id = self.image["id"]
        count = await in_db(lambda db: gallery.delete_images(db, user_id, [image_id]))
        if not count:
            return rx.toast.error(UserError("image_not_found").message)
        self.image, self.loaded = EMPTY, False
        return [rx.toast.success("Image deleted.", id="carry-deleted"), rx.redirect("/gallery")]  # shown there

    @rx.event
    @signed_in
    async def variations(self, me: SignedIn) -> Reply:
        """The same recipe with a new seed, submitted at once; its job card shows in the studio or editor."""
        user_id = me.user_id
        params = {k: v for k, v in self._rerun.items() if k not in ("operation", "seed")}
        if not params or self.working:
            return None
        operation = self.image["operation"]
        self.working = True
        try:
            await submit.submit(user_id=user_id, requests=[params])
        except UserError as err:
            return rx.toast.error(err.message)
        finally:
            self.working = False
        await self.current_user()
        return rx.redirect("/studio" if operation == "t2i" else "/edit")
