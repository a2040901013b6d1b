"""The gallery's collection dialogs: new (optionally with the selected images), rename, delete.

A sibling of GalleryState: it reads the gallery's selection and collection list, and refreshes them,
through get_state, so the dialogs' fields stay out of the gallery's own updates.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from palett.services.common.db import in_db
from palett.services.common.errors import UserError
from palett.services.library import gallery
from palett.state.events import Reply
from palett.state.gallery.grid import GalleryState
from palett.state.gallery.selection import GallerySelection
from palett.state.session import SessionState, SignedIn, signed_in


class CollectionDialogs(SessionState):
    new_open: bool = False
    new_name: str = ""
    new_adds_selection: bool = False
    rename_open: bool = False
    rename_name: str = ""
    _rename_id: int = 0
    remove_open: bool = False
    remove_name: str = ""
    _remove_id: int = 0
    problem: str = ""

    async def _gallery(self) -> GalleryState:
        return await self.get_state(GalleryState)

    @rx.event
    def open_new_collection(self, for_selection: bool = False) -> None:
        self.new_open, self.new_name, self.new_adds_selection, self.problem = True, "", bool(for_selection), ""

    @rx.event
    def set_new_open(self, value: bool) -> None:
        self.new_open = value

    @rx.event
    def set_new_name(self, value: str) -> None:
        self.new_name = value[:80]

    @rx.event
    @signed_in
    async def create_collection(self, me: SignedIn, form: dict[str, Any] | None = None) -> Reply:
        user_id = me.user_id
        name = str((form or {}).get("name", self.new_name))
        try:
            view = await in_db(lambda db: gallery.create_collection(db, user_id, name))
        except UserError as err:
            self.problem = err.message
            return None
        self.new_open = False
        picked = await self.get_state(GallerySelection)
        if self.new_adds_selection and picked.selected:
            return await picked._add_to(user_id, view.id, list(picked.selected))
        await (await self._gallery())._refresh_side(user_id)
        return rx.toast.success(f"Created {view.name}.")

    @rx.event
    async def open_rename(self, collection_id: int) -> None:
        grid = await self._gallery()
        found = next((c for c in grid.collections if c.id == int(collection_id)), None)
        if found:
            self._rename_id, self.rename_name, self.rename_open, self.problem = found.id, found.name, True, ""

    @rx.event
    def set_rename_open(self, value: bool) -> None:
        self.rename_open = value

    @rx.event
    def set_rename_name(self, value: str) -> None:
        self.rename_name = value[:80]

    @rx.event
    @signed_in
    async def rename_collection(self, me: SignedIn, form: dict[str, Any] | None = None) -> None:
        user_id = me.user_id
        name, collection_id = str((form or {}).get("name", self.rename_name)), self._rename_id
        try:
            await in_db(lambda db: gallery.rename_collection(db, user_id, collection_id, name))
        except UserError as err:
            self.problem = err.message
            return None
        self.rename_open = False
        await (await self._gallery())._refresh_side(user_id)
        return None

    @rx.event
    async def open_remove(self, collection_id: int) -> None:
        grid = await self._gallery()
        found = next((c for c in grid.collections if c.id == int(collection_id)), None)
        if found:
            self._remove_id, self.remove_name, self.remove_open = found.id, found.name, True

    @rx.event
    def set_remove_open(self, value: bool) -> None:
        self.remove_open = value

    @rx.event
    @signed_in
    async def delete_collection(self, me: SignedIn) -> Reply:
        user_id = me.user_id
        collection_id = self._remove_id
        try:
            await in_db(lambda db: gallery.delete_collection(db, user_id, collection_id))
        except UserError as err:
            return rx.toast.error(err.message)
        self.remove_open = False
        grid = await self._gallery()
        if grid.collection_id == collection_id:
            grid.collection_id = 0
            await grid._reload(user_id)
        await grid._refresh_side(user_id)
        return rx.toast.success(f"Deleted the collection {self.remove_name}. Its images are still in your gallery.")
