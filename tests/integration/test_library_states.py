"""The library's Reflex states driven without a browser, signed in as Bob: every event that takes an id from the
browser reaches only Bob's own rows, whatever id is sent. Alice's world comes from test_library_access."""

from __future__ import annotations

import asyncio
import inspect
import io

import pytest
from PIL import Image
from reflex.state import State
from sqlmodel import select

from palett.models import GeneratedImage, ImageLike, User
from palett.services.common.db import session_scope
from palett.services.library import gallery
from palett.services.media import avatars, uploads
from palett.state.explore import ExploreState
from palett.state.gallery import CollectionDialogs, GallerySelection, GalleryState
from palett.state.image import ImageState
from palett.state.session import SessionState
from palett.state.studio import StudioState
from palett.state.usage import UsageState
from tests.integration.test_library_access import world  # noqa: F401  (a fixture)


@pytest.fixture
def sign_in(monkeypatch):
    """Make SessionState.current_user() answer with this user (what the session cookie would say)."""

    def as_user(user_id: int) -> None:
        async def current_user(self):  # type: ignore[no-untyped-def]
            with session_scope() as s:
                user = s.get(User, user_id)
            self._show(user)
            return (1, user) if user else None

        monkeypatch.setattr(SessionState, "current_user", current_user)

    return as_user


def state(cls, root=None):  # type: ignore[no-untyped-def]
    """The instance of `cls` in `root`'s state tree (a fresh tree by default)."""
    root = root or State(_reflex_internal_init=True)
    return root.get_substate(cls.get_full_name().split(".")[1:])


def fire(handler, target, *args):  # type: ignore[no-untyped-def]
    """Run an event handler to its end (coroutine or async generator) and return what it returned last."""
    result = handler.fn(target, *args)

    async def drain():  # type: ignore[no-untyped-def]
        if inspect.isasyncgen(result):
            last = None
            async for item in result:
                last = item
            return last
        return await result if inspect.isawaitable(result) else result

    return asyncio.run(drain())


def image(image_id: int) -> GeneratedImage:
    with session_scope() as s:
        return s.get(GeneratedImage, image_id)


def test_gallery_events_only_touch_the_signed_in_users_images(db, world, sign_in):  # noqa: F811
    sign_in(world["bob"])
    root = State(_reflex_internal_init=True)
    grid, picked = state(GalleryState, root), state(GallerySelection, root)
    fire(GalleryState.load_gallery, grid)
    assert [r["id"] for r in grid.rows] == [world["bobs"]]
    assert [c.name for c in grid.collections] == ["Bob's"]
    for theirs in (world["private"], world["public"]):
        fire(GalleryState.toggle_favorite, grid, theirs)
        assert not image(theirs).favorite
    picked.selected = [world["private"], world["public"]]
    fire(GallerySelection.set_selected_public, picked, True)
    assert not image(world["private"]).is_public
    fire(GallerySelection.set_selected_public, picked, False)
    assert image(world["public"]).is_public
    fire(GallerySelection.add_selected_to, picked, world["album"])  # Alice's collection
    fire(GallerySelection.add_selected_to, picked, world["bob_album"])  # Bob's, with Alice's images
    with session_scope() as s:
        assert gallery.list_collections(s, world["bob"])[0].count == 0
        assert gallery.list_collections(s, world["alice"])[0].count == 2
    picked.selected = [world["private"], world["public"]]
    fire(GallerySelection.delete_selected, picked)
    assert image(world["private"]) is not None and image(world["public"]) is not None

    # Alice's collection as a filter shows nothing of hers.
    picked.selected = [world["bobs"]]
    fire(GalleryState.show_collection, grid, world["album"])
    assert grid.rows == [] and grid.problem and picked.selected == []  # another view forgets the selection
    # Renaming or deleting her collection through a forged id fails and changes nothing.
    dialogs = state(CollectionDialogs)
    dialogs._rename_id, dialogs._remove_id = world["album"], world["album"]
    fire(CollectionDialogs.rename_collection, dialogs, {"name": "Mine now"})
    fire(CollectionDialogs.delete_collection, dialogs)
    with session_scope() as s:
        assert [c.name for c in gallery.list_collections(s, world["alice"])] == ["Alice's"]


def test_ticking_a_tile_sends_the_selection_and_not_the_grid(db, world, sign_in):  # noqa: F811
    sign_in(world["bob"])
    root = State(_reflex_internal_init=True)
    grid, picked = state(GalleryState, root), state(GallerySelection, root)
    fire(GalleryState.load_gallery, grid)
    root._clean()
    fire(GallerySelection.toggle_select, picked, world["bobs"])
    assert picked.selected == [world["bobs"]] and "selected" in picked.dirty_vars
    assert not grid.dirty_vars  # so the grid (up to 192 rows) is neither sent nor stored again
    assert grid.get_full_name() not in root.get_delta() and picked.get_full_name() in root.get_delta()


def test_image_page_events_refuse_someone_elses_image(db, world, sign_in):  # noqa: F811
    sign_in(world["bob"])
    page = state(ImageState)
    asyncio.run(page._fill(world["bob"], world["private"]))
    assert page.missing and page.image["id"] == 0
    page.image = {**page.image, "id": world["private"]}  # a forged id in the browser's copy of the state
    fire(ImageState.toggle_favorite, page)
    fire(ImageState.set_public, page, True)
    fire(ImageState.add_to_collection, page, world["bob_album"])
    fire(ImageState.delete_image, page)
    row = image(world["private"])
    assert row is not None and not row.favorite and not row.is_public

    # Bob's own image works, and its share link appears when he makes it public.
    asyncio.run(page._fill(world["bob"], world["bobs"]))
    assert not page.missing and page.recipe
    fire(ImageState.set_public, page, True)
    assert page.share_url.startswith("http://localhost:3000/api/share/")


def test_studio_recipe_and_explore_likes_and_usage_stay_with_their_owner(db, world, sign_in):  # noqa: F811
    sign_in(world["bob"])
    with session_scope() as s:
        bob = s.get(User, world["bob"])
    studio = state(StudioState)
    assert asyncio.run(studio._load_image_recipe(bob, world["private"])) is False
    assert studio.prompt == "" and studio.problem

    feed = state(ExploreState)
    fire(ExploreState.load_explore, feed)
    assert [r["id"] for r in feed.rows] == [world["public"]]  # Alice's private image is not in Explore
    fire(ExploreState.toggle_like, feed, world["private"])
    fire(ExploreState.toggle_like, feed, world["public"])
    fire(ExploreState.toggle_like, feed, world["public"])  # a second click takes the like back
    fire(ExploreState.toggle_like, feed, world["public"])
    with session_scope() as s:
        likes = s.exec(select(ImageLike.image_id).where(ImageLike.user_id == world["bob"])).all()
    assert likes == [world["public"]] and image(world["public"]).likes == 1

    history = state(UsageState)
    fire(UsageState.load_usage, history)
    assert history.rows == [] and not history.has_jobs  # Alice's job is not in Bob's history
    sign_in(world["alice"])
    fire(UsageState.load_usage, history)
    assert [r["id"] for r in history.rows] == [world["job"]]


def test_an_avatar_is_served_only_while_it_is_the_users_current_one(db, world):  # noqa: F811
    picture = io.BytesIO()
    Image.new("RGB", (300, 200), (40, 120, 200)).save(picture, "PNG")
    cleaned = uploads.clean(picture.getvalue())
    with session_scope() as s:
        first, first_key = avatars.set_avatar(s, world["alice"], cleaned)
    name = first.rsplit("/", 1)[-1]
    with session_scope() as s:
        assert avatars.current_key(s, world["alice"], name) == first_key
        assert avatars.current_key(s, world["bob"], name) is None  # her file under his id
        assert avatars.current_key(s, world["alice"], "avatar-" + "0" * 32 + ".webp") is None
        assert avatars.current_key(s, world["alice"], "../secret_key") is None
    with session_scope() as s:
        second, _ = avatars.set_avatar(s, world["alice"], cleaned)
    with session_scope() as s:
        assert avatars.current_key(s, world["alice"], name) is None  # the old one stops working
        assert s.get(User, world["alice"]).image == second
    data = avatars.render(cleaned)
    assert Image.open(io.BytesIO(data)).size == (avatars.SIZE, avatars.SIZE)


def test_collection_dialogs_work_on_the_gallerys_selection(db, world, sign_in):  # noqa: F811
    sign_in(world["bob"])
    root = State(_reflex_internal_init=True)
    grid, picked, dialogs = state(GalleryState, root), state(GallerySelection, root), state(CollectionDialogs, root)
    fire(GalleryState.load_gallery, grid)
    picked.selected = [world["bobs"]]
    fire(CollectionDialogs.open_new_collection, dialogs, True)
    fire(CollectionDialogs.create_collection, dialogs, {"name": "Trips"})
    trips = next(c for c in grid.collections if c.name == "Trips")
    assert trips.count == 1 and not dialogs.new_open
    fire(CollectionDialogs.open_rename, dialogs, trips.id)
    assert dialogs.rename_open and dialogs.rename_name == "Trips"
    fire(CollectionDialogs.rename_collection, dialogs, {"name": "Travels"})
    assert [c.name for c in grid.collections if c.id == trips.id] == ["Travels"]
    fire(GalleryState.show_collection, grid, trips.id)
    fire(CollectionDialogs.open_remove, dialogs, trips.id)
    fire(CollectionDialogs.delete_collection, dialogs)
    assert grid.collection_id == 0 and trips.id not in [c.id for c in grid.collections]
    assert [r["id"] for r in grid.rows] == [world["bobs"]]  # the image stays in the gallery
