"""A person's public page (/u/<id>-<slug>): their name and picture, their public images with likes, the lightbox.

Anyone may look, signed in or not. Only public images of an enabled user are ever loaded
(services.library.gallery.public_profile); the slug in the address is decoration, the id finds the user.
"""

from __future__ import annotations

import reflex as rx

from palett.services.common.db import in_db
from palett.services.common.errors import UserError
from palett.services.library import gallery
from palett.state.events import Reply, Stream
from palett.state.explore import FeedLightbox, PublicFeed, as_tile
from palett.state.feed_window import FeedWindow
from palett.state.session import SessionState

PAGE_SIZE = 48


class PublicProfileState(PublicFeed, SessionState):
    hidden_before: int = 0
    has_more: bool = False
    loading: bool = False
    loaded: bool = False
    found: bool = False
    name: str = ""
    initials: str = ""
    avatar: str = ""
    public_images: int = 0
    total_likes: int = 0
    is_me: bool = False  # the signed-in viewer is looking at their own page
    problem: str = ""
    _handle: str = ""
    _starts: list[str] = []
    _sizes: list[int] = []
    _first: int = 0
    _after: str = ""

    @rx.var
    def likes_label(self) -> str:
        return f"{self.total_likes:,} like{'' if self.total_likes == 1 else 's'}"

    @rx.var
    def images_label(self) -> str:
        return f"{self.public_images:,} public image{'' if self.public_images == 1 else 's'}"

    async def _profile(self, cursor: str | None) -> gallery.PublicProfile | None:
        viewer, handle = await self._viewer(), self._handle
        return await in_db(lambda db: gallery.public_profile(db, handle, viewer_id=viewer, cursor=cursor,
                                                             limit=PAGE_SIZE))

    @rx.event
    async def load_profile(self) -> Reply:
        self._handle = str(self.router.page.params.get("handle", "") or "")[:80]
        self.loaded, self.problem = False, ""
        (await self.get_state(ProfileLightbox)).lightbox_id = 0
        found = await self._profile(None)
        self.found = found is not None
        if found is None:
            FeedWindow(self).reset([], None)
            self.name = self.initials = self.avatar = ""
            self.public_images = self.total_likes = 0
            self.loaded = True
            return None
        self.name, self.initials, self.avatar = found.name, found.initials, found.avatar
        self.public_images, self.total_likes = found.public_images, found.total_likes
        self.is_me = (await self._viewer()) == found.user_id
        FeedWindow(self).reset([as_tile(t) for t in found.page.items], found.page.next_cursor)
        self.loaded = True
        if found.public_images and self.router.page.path != found.path:  # an old or missing slug: the real one
            return rx.call_script(f"history.replaceState(null, '', {found.path!r})")
        return None

    @rx.event
    async def load_more(self) -> Stream:
        window = FeedWindow(self)
        cursor = window.after_cursor
        if cursor is None or self.loading:
            return
        self.loading = True
        yield None  # send `loading` to the browser now
        try:
            more = await self._profile(cursor)
        except UserError as err:
            self.problem, self.loading = err.message, False
            return
        if more is not None:
            window.append([as_tile(t) for t in more.page.items], more.page.next_cursor)
        self.loading = False

    @rx.event
    async def show_newer(self) -> None:
        window = FeedWindow(self)
        cursor = window.before_cursor
        if cursor is None:
            return
        found = await self._profile(cursor or None)
        if found is not None:
            window.prepend([as_tile(t) for t in found.page.items])

    @rx.event
    async def back_to_top(self) -> Reply:
        found = await self._profile(None)
        if found is not None:
            FeedWindow(self).reset([as_tile(t) for t in found.page.items], found.page.next_cursor)
        return rx.call_script("window.scrollTo({top: 0})")


class ProfileLightbox(FeedLightbox, PublicProfileState):
    pass
