"""Explore: everyone's public images, newest or most liked, in a sliding window; likes for signed-in people."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx
from sqlmodel import Session as DB

from palett.services.common.db import in_db
from palett.services.common.errors import UserError
from palett.services.library import gallery
from palett.state.events import Reply, Stream
from palett.state.feed_window import FeedWindow
from palett.state.lightbox import LightboxItem, ResultsLightbox, item
from palett.state.session import SessionState

PAGE_SIZE = 48


class ExploreTile(TypedDict):
    id: int
    href: str
    token: str
    thumb: str
    url: str
    display: str
    size: str
    prompt: str  # "" when its author keeps the prompt to themselves (the service never sends it)
    alt: str
    model_label: str
    likes: int
    liked: bool
    author_name: str
    profile: str


def as_tile(t: gallery.PublicTile) -> ExploreTile:
    return ExploreTile(id=t.id, href=f"/api/share/{t.share_token}", token=t.share_token, thumb=t.thumb, url=t.url,
                       display=t.display, size=f"{t.width} × {t.height}", prompt=t.prompt,
                       alt=gallery.alt_text(t.prompt, t.operation), model_label=t.model_label,
                       likes=t.likes, liked=t.liked, author_name=t.author_name, profile=t.profile)


def as_lightbox_item(t: ExploreTile) -> LightboxItem:
    return item(id=t["id"], url=t["url"], display=t["display"], download=t["href"] + "/image", size=t["size"],
                prompt=t["prompt"], model_label=t["model_label"], local="not AI" in t["model_label"], page=t["href"],
                likes=t["likes"], liked=t["liked"], author_name=t["author_name"], profile=t["profile"],
                remix="/studio?remix=" + t["token"])


class PublicFeed(SessionState, mixin=True):
    """A feed of public pictures with likes (explore, a profile): rows are ExploreTiles in a FeedWindow."""

    rows: list[ExploreTile] = []

    async def _viewer(self) -> int | None:
        found = await self.current_user()  # signed out is fine here: the feed is public
        return (found[1].id or 0) if found else None

    @rx.event
    async def toggle_like(self, image_id: int) -> Reply:
        viewer = await self._viewer()
        if viewer is None:
            return self.sign_in_here()  # back to this feed after signing in
        image_id = int(image_id)
        liked = next((r["liked"] for r in self.rows if r["id"] == image_id), False)

        def work(db: DB) -> gallery.LikeState:
            return (gallery.unlike if liked else gallery.like)(db, image_id, viewer)

        try:
            now = await in_db(work)
        except UserError as err:
            return rx.toast.error(err.message)
        FeedWindow(self).update([image_id], likes=now.likes, liked=now.liked)
        return None


class ExploreState(PublicFeed, SessionState):
    hidden_before: int = 0
    has_more: bool = False
    loading: bool = False
    loaded: bool = False
    sort: str = "newest"
    problem: str = ""
    _starts: list[str] = []
    _sizes: list[int] = []
    _first: int = 0
    _after: str = ""

    async def _page(self, viewer: int | None, cursor: str | None) -> gallery.ExplorePage:
        sort = "most_liked" if self.sort == "most_liked" else "newest"
        return await in_db(lambda db: gallery.explore(db, cursor=cursor, limit=PAGE_SIZE, sort=sort,  # type: ignore[arg-type]
                                                      viewer_id=viewer))

    @rx.event
    async def load_explore(self) -> None:
        (await self.get_state(ExploreLightbox)).lightbox_id = 0
        await self._first_page()

    async def _first_page(self) -> None:
        viewer = await self._viewer()
        self.problem = ""
        first = await self._page(viewer, None)
        FeedWindow(self).reset([as_tile(t) for t in first.items], first.next_cursor)
        self.loaded = True

    @rx.event
    async def set_sort(self, value: str | list[str]) -> None:
        value = value[0] if isinstance(value, list) else value
        self.sort = "most_liked" if value == "most_liked" else "newest"
        await self._first_page()

    @rx.event
    async def load_more(self) -> Stream:
        window = FeedWindow(self)
        cursor = window.after_cursor
        if cursor is None or self.loading:
            return
        self.loading = True
        yield None  # send `loading` to the browser now
        viewer = await self._viewer()
        try:
            more = await self._page(viewer, cursor)
        except UserError as err:
            self.problem, self.loading = err.message, False
            return
        window.append([as_tile(t) for t in more.items], more.next_cursor)
        self.loading = False

    @rx.event
    async def show_newer(self) -> None:
        window = FeedWindow(self)
        cursor = window.before_cursor
        if cursor is None:
            return
        page = await self._page(await self._viewer(), cursor or None)
        window.prepend([as_tile(t) for t in page.items])

    @rx.event
    async def back_to_top(self) -> Reply:
        await self._first_page()
        return rx.call_script("window.scrollTo({top: 0})")


class FeedLightbox(ResultsLightbox, mixin=True):
    """The lightbox of a PublicFeed, mixed into a substate of it: opening it re-renders the dialog, not the grid."""

    def _lightbox_items(self) -> list[LightboxItem]:
        return [as_lightbox_item(t) for t in self.rows]  # type: ignore[attr-defined]  # the parent feed's


class ExploreLightbox(FeedLightbox, ExploreState):
    pass
