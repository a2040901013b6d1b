"""The gallery's grid: one window of thumbnails, its filters and favourites, and its lightbox.

Every handler re-checks the signed-in user and passes that id to services.library.gallery, which filters by owner;
ids that arrive from the browser are only wishes. The grid keeps a FeedWindow of KEEP_PAGES pages.
"""

from __future__ import annotations

from datetime import date
from typing import TypedDict

import reflex as rx
from sqlmodel import Session as DB

from palett.services.common import presenters
from palett.services.common.db import in_db
from palett.services.common.errors import UserError
from palett.services.generation import submit
from palett.services.library import gallery
from palett.state.events import Reply, Stream
from palett.state.feed_window import FeedWindow
from palett.state.lightbox import LightboxItem, ResultsLightbox, item
from palett.state.session import SIGN_IN, SessionState, SignedIn, signed_in, signed_in_stream

PAGE_SIZE = 48  # x KEEP_PAGES (4) = at most 192 thumbnails in the DOM
ALL = "all"


class GalleryTile(TypedDict):
    id: int
    thumb: str
    url: str  # the original, for the lightbox zoomed in
    display: str  # the display rendition (or the original), for the lightbox fitted
    prompt: str
    alt: str
    model_label: str
    operation: str
    operation_label: str
    favorite: bool
    is_public: bool
    created: str
    size: str


def as_tile(t: gallery.Tile) -> GalleryTile:
    label = gallery.operation_label(t.operation)
    return GalleryTile(
        id=t.id, thumb=t.thumb, url=t.url, display=t.display, prompt=t.prompt,
        alt=gallery.alt_text(t.prompt, t.operation), model_label=t.model_label,
        operation=t.operation, operation_label=label, favorite=t.favorite, is_public=t.is_public,
        created=presenters.short_date(t.created), size=f"{t.width} × {t.height}",
    )


def parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def as_lightbox_item(t: GalleryTile) -> LightboxItem:
    return item(id=t["id"], url=t["url"], display=t["display"],
                download=f"/api/library/images/{t['id']}/download?format=png",
                size=t["size"], prompt=t["prompt"], model_label=t["model_label"] or t["operation_label"],
                local="not AI" in t["model_label"], page=f"/image/{t['id']}", favorite=t["favorite"])


class GalleryState(SessionState):
    # the window of thumbnails (see FeedWindow)
    rows: list[GalleryTile] = []
    hidden_before: int = 0
    has_more: bool = False
    total: int = 0
    loading: bool = False
    loaded: bool = False
    _starts: list[str] = []
    _sizes: list[int] = []
    _first: int = 0
    _after: str = ""
    # filters
    q: str = ""
    operation: str = ALL
    model: str = ALL
    date_from: str = ""
    date_to: str = ""
    favorites: bool = False
    collection_id: int = 0
    visibility: str = ALL
    sort: str = "newest"
    filters_open: bool = False  # phones only: the filters fold away under a button
    operations: list[gallery.Option] = []  # the filter menus: each with its count of images
    models: list[gallery.Option] = []
    library_total: int = 0  # all the user's images, whatever the filters
    _return_to: int = 0  # the image page last shown, to scroll back to
    # the user's collections (their dialogs: CollectionDialogs in collections.py)
    collections: list[gallery.CollectionView] = []
    problem: str = ""

    # ---- derived ----

    @rx.var
    def filtered(self) -> bool:
        return bool(self.q.strip() or self.operation != ALL or self.model != ALL or self.date_from or self.date_to
                    or self.favorites or self.collection_id or self.visibility != ALL)

    @rx.var
    def only_collection(self) -> bool:
        """A collection is chosen and nothing else narrows it (its empty state differs)."""
        return bool(self.collection_id) and not (self.q.strip() or self.operation != ALL or self.model != ALL
                                                 or self.date_from or self.date_to or self.favorites
                                                 or self.visibility != ALL)

    @rx.var
    def collection_name(self) -> str:
        return next((c.name for c in self.collections if c.id == self.collection_id), "")

    @rx.var
    def library_total_label(self) -> str:
        return f"{self.library_total:,}"

    @rx.var
    def total_label(self) -> str:
        if self.filtered:
            return f"{self.total:,} matching"
        return f"{self.total:,} image{'' if self.total == 1 else 's'}"

    @rx.var
    def window_label(self) -> str:
        if not self.rows:
            return ""
        start, end = self.hidden_before + 1, self.hidden_before + len(self.rows)
        return f"Showing {start:,}–{end:,} of {self.total:,}"

    # ---- loading ----

    def _filters(self) -> gallery.Filters:
        return gallery.Filters(
            q=self.q, operation=None if self.operation == ALL else self.operation,
            model=None if self.model == ALL else self.model, date_from=parse_day(self.date_from),
            date_to=parse_day(self.date_to), favorites=self.favorites, collection_id=self.collection_id or None,
            visibility=self.visibility if self.visibility in ("public", "private") else "all",  # type: ignore[arg-type]
            sort="oldest" if self.sort == "oldest" else "newest",
        )

    @rx.event
    @signed_in
    async def load_gallery(self, me: SignedIn) -> Reply:
        user_id = me.user_id
        params = self.router.url.query_parameters
        if params.get("collection", "").isdigit():
            self._clear_filters()
            self.loaded = False
            self.collection_id = int(params["collection"])
        elif "q" in params:
            self._clear_filters()
            self.q = params["q"][:200]
            self.loaded = False
        self.problem = ""
        await self._forget_selection()
        (await self.get_state(GalleryLightbox)).lightbox_id = 0
        await self._refresh_side(user_id)
        if self.loaded and self.rows:
            await self._refresh_window(user_id)  # back from an image page: stay where you were
        else:
            await self._reload(user_id)
        back_to, self._return_to = self._return_to, 0
        if back_to and any(r["id"] == back_to for r in self.rows):
            return rx.call_script(f"window.palettShowTile && window.palettShowTile({int(back_to)})")
        return None

    async def _forget_selection(self) -> None:
        # The selection is a substate of this one, so its module imports this one; the package has loaded it.
        from palett.state.gallery.selection import GallerySelection

        (await self.get_state(GallerySelection)).selected = []

    async def _refresh_window(self, user_id: int) -> None:
        """The rows of the current window again (fresh signed URLs, stars), minus what was deleted meanwhile."""
        ids = [r["id"] for r in self.rows]
        fresh = {t.id: as_tile(t) for t in await in_db(lambda db: gallery.tiles(db, user_id, ids))}
        gone = [i for i in ids if i not in fresh]
        FeedWindow(self).remove(gone)
        self.rows = [fresh[r["id"]] for r in self.rows]
        self.total = max(0, self.total - len(gone))

    async def _refresh_side(self, user_id: int) -> None:
        def work(db: DB) -> tuple[gallery.Facets, list[gallery.CollectionView]]:
            return gallery.facets(db, user_id), gallery.list_collections(db, user_id)

        facets, views = await in_db(work)
        self.operations, self.models = facets.operations, facets.models
        self.library_total = facets.total
        self.collections = views
        if self.collection_id and not any(c.id == self.collection_id for c in self.collections):
            self.collection_id, self.loaded = 0, False

    async def _reload(self, user_id: int) -> None:
        filters = self._filters()
        try:
            first = await in_db(lambda db: gallery.page_of(db, user_id, filters, limit=PAGE_SIZE))
        except UserError as err:
            self.problem = err.message
            FeedWindow(self).reset([], None)
            self.total, self.loaded = 0, True
            return
        FeedWindow(self).reset([as_tile(t) for t in first.items], first.next_cursor)
        self.total = first.total or 0
        self.loaded = True

    @rx.event
    @signed_in_stream
    async def load_more(self, me: SignedIn) -> Stream:
        window = FeedWindow(self)
        cursor = window.after_cursor
        if cursor is None or self.loading:
            return
        user_id = me.user_id
        self.loading = True
        yield None  # send `loading` to the browser now
        filters = self._filters()
        try:
            more = await in_db(lambda db: gallery.page_of(db, user_id, filters, cursor=cursor, limit=PAGE_SIZE))
        except UserError as err:
            self.problem, self.loading = err.message, False
            return
        window.append([as_tile(t) for t in more.items], more.next_cursor)
        self.loading = False

    @rx.event
    @signed_in
    async def show_newer(self, me: SignedIn) -> None:
        window = FeedWindow(self)
        cursor = window.before_cursor
        if cursor is None:
            return None
        user_id = me.user_id
        filters = self._filters()
        try:
            page = await in_db(lambda db: gallery.page_of(db, user_id, filters, cursor=cursor or None,
                                                          limit=PAGE_SIZE))
        except UserError as err:
            self.problem = err.message
            return None
        window.prepend([as_tile(t) for t in page.items])
        return None

    @rx.event
    @signed_in
    async def back_to_top(self, me: SignedIn) -> Reply:
        user_id = me.user_id
        await self._reload(user_id)
        return rx.call_script("window.scrollTo({top: 0})")

    # ---- filters ----

    def _clear_filters(self) -> None:
        self.q, self.operation, self.model, self.date_from, self.date_to = "", ALL, ALL, "", ""
        self.favorites, self.collection_id, self.visibility = False, 0, ALL

    async def _refilter(self) -> Reply:
        user_id = await self.signed_in_user_id()
        if user_id is None:
            return rx.redirect(SIGN_IN)
        self.problem = ""
        await self._reload(user_id)
        return None

    @rx.event
    async def set_q(self, value: str) -> Reply:
        self.q = value[:200]
        return await self._refilter()

    @rx.event
    async def set_operation(self, value: str) -> Reply:
        self.operation = value or ALL
        return await self._refilter()

    @rx.event
    async def set_model(self, value: str) -> Reply:
        self.model = value or ALL
        return await self._refilter()

    @rx.event
    async def set_date_from(self, value: str) -> Reply:
        self.date_from = value if parse_day(value) else ""
        return await self._refilter()

    @rx.event
    async def set_date_to(self, value: str) -> Reply:
        self.date_to = value if parse_day(value) else ""
        return await self._refilter()

    @rx.event
    async def set_favorites(self, value: bool) -> Reply:
        self.favorites = bool(value)
        return await self._refilter()

    @rx.event
    async def set_visibility(self, value: str | list[str]) -> Reply:
        value = value[0] if isinstance(value, list) else value
        self.visibility = value if value in ("public", "private") else ALL
        return await self._refilter()

    @rx.event
    async def set_sort(self, value: str) -> Reply:
        self.sort = "oldest" if value == "oldest" else "newest"
        return await self._refilter()

    @rx.event
    async def show_collection(self, collection_id: int) -> Reply:
        self.collection_id = int(collection_id)
        await self._forget_selection()
        return await self._refilter()

    @rx.event
    def toggle_filters(self) -> None:
        self.filters_open = not self.filters_open

    @rx.event
    async def clear_filters(self) -> Reply:
        self._clear_filters()
        return await self._refilter()

    # ---- favourites ----

    @rx.event
    @signed_in
    async def toggle_favorite(self, me: SignedIn, image_id: int) -> Reply:
        user_id = me.user_id
        image_id = int(image_id)
        current = next((r["favorite"] for r in self.rows if r["id"] == image_id), False)
        try:
            now = await in_db(lambda db: gallery.set_favorite(db, user_id, image_id, not current))
        except UserError as err:
            return rx.toast.error(err.message)
        FeedWindow(self).update([image_id], favorite=now)
        return None


class GalleryLightbox(ResultsLightbox, GalleryState):
    """The gallery's lightbox, a substate: opening or stepping changes only this small state, so the browser
    re-renders the dialog and not the whole grid."""

    def _lightbox_items(self) -> list[LightboxItem]:
        return [as_lightbox_item(t) for t in self.rows]

    @rx.event
    @signed_in
    async def delete_shown(self, me: SignedIn) -> Reply:
        """Delete the picture in the lightbox (after the dialog's confirmation); the next one takes its place."""
        user_id, shown, grid = me.user_id, self.lightbox_id, await self.get_state(GalleryState)
        try:
            count = await in_db(lambda db: gallery.delete_images(db, user_id, [shown]))
        except UserError as err:
            return rx.toast.error(err.message)
        ids = [r["id"] for r in grid.rows]
        after = ids[ids.index(shown) + 1:] + ids[:ids.index(shown)][::-1] if shown in ids else []
        FeedWindow(grid).remove([shown])
        grid.total = max(0, grid.total - count)
        self.lightbox_id = after[0] if after else 0
        await grid._refresh_side(user_id)
        return rx.toast.success("Image deleted.")

    @rx.event
    @signed_in
    async def variations_shown(self, me: SignedIn) -> Reply:
        """The shown picture's recipe with a new seed, submitted at once (as on the image page); its job card
        shows in the studio, or the editor for an edit."""
        user_id, image_id = me.user_id, self.lightbox_id
        try:
            found = await in_db(lambda db: gallery.detail(db, user_id, image_id))
            params = {k: v for k, v in found.rerun.items() if k not in ("operation", "seed")}
            if not params:
                return rx.toast.error("An upload has no recipe to vary: open it in Edit instead.")
            await submit.submit(user_id=user_id, requests=[params])
        except UserError as err:
            return rx.toast.error(err.message)
        return rx.redirect("/studio" if found.operation == "t2i" else "/edit")
