"""The gallery's bulk selection and what the bar above the grid does with it: delete, share, add to a collection.

A substate of GalleryState: ticking a tile changes only this small state, so the grid's rows are neither sent
again nor stored again. The ids come from the browser and are only wishes: every bulk action goes through
services.library.gallery with the signed-in user's id, which touches only that user's images.
"""

from __future__ import annotations

import reflex as rx
from reflex_base.event import PointerEventInfo

from palett.services.common.db import in_db
from palett.services.common.errors import UserError
from palett.services.library import gallery
from palett.state.events import Reply
from palett.state.feed_window import FeedWindow
from palett.state.gallery.grid import GalleryState
from palett.state.session import SignedIn, signed_in


class GallerySelection(GalleryState):
    selected: list[int] = []
    _anchor: int = 0  # the tile clicked last: a shift-click selects from here

    @rx.var
    def selected_count(self) -> int:
        return len(self.selected)

    @rx.var
    def zip_href(self) -> str:
        return "/api/library/download.zip?ids=" + ",".join(str(i) for i in self.selected)

    async def _grid(self) -> GalleryState:
        """The parent grid, for changing its window and side lists (reading its rows needs only `self`)."""
        return await self.get_state(GalleryState)

    # ---- choosing ----

    @rx.event
    def toggle_select(self, image_id: int, info: PointerEventInfo | None = None) -> None:
        """Click toggles one tile; shift-click selects every tile between the last clicked one and this one."""
        image_id = int(image_id)
        ids = [r["id"] for r in self.rows]  # the parent grid's window
        shift = bool(info and info.get("shift_key"))
        if shift and self._anchor in ids and image_id in ids:
            a, b = sorted((ids.index(self._anchor), ids.index(image_id)))
            span = ids[a:b + 1]
            self.selected = [*self.selected, *(i for i in span if i not in self.selected)]
        elif image_id in self.selected:
            self.selected = [i for i in self.selected if i != image_id]
        else:
            self.selected = [*self.selected, image_id]
        self._anchor = image_id
        if len(self.selected) > gallery.MAX_SELECTION:
            self.selected = self.selected[-gallery.MAX_SELECTION:]

    @rx.event
    def select_all(self) -> None:
        in_view = [r["id"] for r in self.rows]
        self.selected = [*self.selected, *(i for i in in_view if i not in self.selected)][-gallery.MAX_SELECTION:]

    @rx.event
    def clear_selection(self) -> None:
        self.selected = []

    # ---- bulk actions ----

    @rx.event
    @signed_in
    async def delete_selected(self, me: SignedIn) -> Reply:
        user_id, grid = me.user_id, await self._grid()
        ids = list(self.selected)
        try:
            count = await in_db(lambda db: gallery.delete_images(db, user_id, ids))
        except UserError as err:
            return rx.toast.error(err.message)
        FeedWindow(grid).remove(ids)
        grid.total = max(0, grid.total - count)
        self.selected = []
        await grid._refresh_side(user_id)
        return rx.toast.success(f"Deleted {count} image{'' if count == 1 else 's'}.")

    @rx.event
    @signed_in
    async def set_selected_public(self, me: SignedIn, public: bool) -> Reply:
        user_id = me.user_id
        ids = list(self.selected)
        try:
            changed = await in_db(lambda db: gallery.set_public(db, user_id, ids, bool(public)))
        except UserError as err:
            return rx.toast.error(err.message)
        FeedWindow(await self._grid()).update([v.id for v in changed], is_public=bool(public))
        what = "public: anyone with the link can see them" if public else "private"
        return rx.toast.success(f"{len(changed)} image{'' if len(changed) == 1 else 's'} made {what}.")

    @rx.event
    @signed_in
    async def add_selected_to(self, me: SignedIn, collection_id: int) -> Reply:
        return await self._add_to(me.user_id, int(collection_id), list(self.selected))

    async def _add_to(self, user_id: int, collection_id: int, ids: list[int]) -> Reply:
        try:
            added = await in_db(lambda db: gallery.add_images(db, user_id, collection_id, ids))
        except UserError as err:
            return rx.toast.error(err.message)
        grid = await self._grid()
        await grid._refresh_side(user_id)
        name = next((c.name for c in grid.collections if c.id == collection_id), "the collection")
        return rx.toast.success(f"Added {added} image{'' if added == 1 else 's'} to {name}.")
