"""Reflex keys state by a per-tab token that outlives sign-out: whatever one user's session put in a tab's
states is gone before anything is sent once the tab's session changes (issue 11, item 2)."""

from __future__ import annotations

import asyncio
import inspect

import pytest
from reflex.state import State
from reflex_base.event import Event
from reflex_base.event.processor.base_state_processor import _hydrate_event_names

from palett.models import User
from palett.services.common.db import session_scope
from palett.state.account import AccountState
from palett.state.admin import AdminState
from palett.state.gallery import GalleryState
from palett.state.session import SIGN_IN, SessionBinding, SessionState
from palett.state.studio import StudioState
from palett.state.usage import UsageState
from tests.integration.test_library_access import world  # noqa: F401  (a fixture)
from tests.integration.test_library_states import fire, image


@pytest.fixture
def tab(monkeypatch):
    """One browser tab's root state, and a switch for which session its websocket cookie belongs to."""
    current: dict[str, tuple[int, int] | None] = {"session": None}

    async def lookup(self):  # type: ignore[no-untyped-def]
        if current["session"] is None:
            return None
        session_id, user_id = current["session"]
        with session_scope() as s:
            return session_id, s.get(User, user_id)

    monkeypatch.setattr(SessionState, "_lookup_session", lookup)
    root = State(_reflex_internal_init=True)

    def sign_in(session_id: int | None, user_id: int = 0) -> None:
        current["session"] = None if session_id is None else (session_id, user_id)

    return root, sign_in


def sub(root, cls):  # type: ignore[no-untyped-def]
    return root.get_substate(cls.get_full_name().split(".")[1:])


def fill_as_alice(root, sign_in, world) -> None:  # noqa: F811
    sign_in(101, world["alice"])
    fire(GalleryState.load_gallery, sub(root, GalleryState))
    fire(UsageState.load_usage, sub(root, UsageState))
    studio = sub(root, StudioState)
    studio.prompt = "alice's secret garden"
    assert sub(root, SessionState).user_email == "alice@example.com"
    assert sub(root, GalleryState).rows and sub(root, UsageState).rows


def assert_nothing_of_alice(root) -> None:
    text = repr(root.dict())
    assert "alice" not in text.lower(), text
    assert sub(root, GalleryState).rows == [] and sub(root, UsageState).rows == []
    assert sub(root, StudioState).prompt == "" and sub(root, AccountState).ledger == []


def test_another_user_in_the_same_tab_sees_none_of_the_first_users_data(db, world, tab):  # noqa: F811
    root, sign_in = tab
    fill_as_alice(root, sign_in, world)
    sign_in(202, world["bob"])  # Alice signed out, Bob signed in: same tab token, new session
    fire(UsageState.load_usage, sub(root, UsageState))
    assert sub(root, SessionState).user_email == "bob@example.com"
    assert sub(root, GalleryState).rows == []  # not loaded for Bob yet, and Alice's are gone
    sub(root, UsageState).rows = []  # Bob's own usage rows, to check the rest carries nothing of Alice
    assert_nothing_of_alice(root)


def test_signing_out_or_a_revoked_session_empties_the_tab(db, world, tab):  # noqa: F811
    root, sign_in = tab
    fill_as_alice(root, sign_in, world)
    sign_in(None)  # revoked, expired, deleted or signed out: the next check finds no session
    fire(SessionState.load, sub(root, SessionState))
    assert not sub(root, SessionState).signed_in
    assert_nothing_of_alice(root)


def test_the_first_frame_of_a_page_is_bound_before_it_is_sent(db, world, tab):  # noqa: F811
    root, sign_in = tab
    fill_as_alice(root, sign_in, world)
    sign_in(202, world["bob"])
    for name in _hydrate_event_names():  # what the hydrate snapshot is made from, after the middleware
        asyncio.run(SessionBinding().preprocess(app=None, state=root, event=Event(name=name)))
        assert sub(root, SessionState).user_email == "bob@example.com"
        assert_nothing_of_alice(root)


def test_input_made_before_the_first_session_check_is_kept(db, world, tab):  # noqa: F811
    """A fresh tab: under load, a size chip and a typed prompt can be handled before the hydrate's session
    check binds the tab; binding a tab that was bound to nobody keeps what the person did."""
    root, sign_in = tab
    studio = sub(root, StudioState)
    size = next(choice.value for choice in studio.sizes if choice.value != studio.size)
    fire(StudioState.set_size, studio, size)
    fire(StudioState.set_prompt, studio, "a lighthouse on a cliff")
    sign_in(101, world["alice"])
    for name in _hydrate_event_names():
        asyncio.run(SessionBinding().preprocess(app=None, state=root, event=Event(name=name)))
    assert sub(root, SessionState).user_email == "alice@example.com"
    assert (studio.prompt, studio.size) == ("a lighthouse on a cliff", size)


def test_the_same_session_keeps_its_state(db, world, tab):  # noqa: F811
    root, sign_in = tab
    fill_as_alice(root, sign_in, world)
    fire(SessionState.load, sub(root, SessionState))
    assert sub(root, GalleryState).rows and sub(root, StudioState).prompt == "alice's secret garden"


def test_a_second_check_of_the_same_session_sends_no_session_vars(db, world, tab):  # noqa: F811
    """The hydrate and each on_load handler check the session; only a change goes into the next delta."""
    root, sign_in = tab
    fill_as_alice(root, sign_in, world)
    session = sub(root, SessionState)
    session._clean()
    fire(SessionState.load, session)
    assert session.dirty_vars == set()
    with session_scope() as s:
        s.get(User, world["alice"]).credits += 5
        s.commit()
    fire(SessionState.load, session)
    assert session.dirty_vars == {"credits"}


def test_a_handler_signed_out_redirects_to_sign_in_and_changes_nothing(db, world, tab):  # noqa: F811
    root, sign_in = tab
    grid = sub(root, GalleryState)
    answer = fire(GalleryState.toggle_favorite, grid, world["bobs"])
    assert answer.args[0][1]._js_expr.strip('"') == SIGN_IN  # rx.redirect("/signin?error=signed_out")
    assert not image(world["bobs"]).favorite
    more = fire(GalleryState.load_more, grid)  # one that streams its updates
    assert more.args[0][1]._js_expr.strip('"') == SIGN_IN
    sign_in(202, world["bob"])
    fire(GalleryState.toggle_favorite, grid, world["bobs"])
    assert image(world["bobs"]).favorite


def test_reflex_sees_a_signed_in_handler_without_its_me_parameter():
    fn = GalleryState.event_handlers["toggle_favorite"].fn
    assert list(inspect.signature(fn).parameters) == ["self", "image_id"]
    spec = GalleryState.toggle_favorite(7)  # what a button's on_click builds
    assert [str(name) for name, _ in spec.args] == ["image_id"]


def test_admin_handlers_send_everyone_but_an_admin_away(db, world, tab):  # noqa: F811
    root, sign_in = tab
    page = sub(root, AdminState)
    assert fire(AdminState.load_admin, page).args[0][1]._js_expr.strip('"') == SIGN_IN  # signed out
    sign_in(202, world["bob"])
    assert fire(AdminState.load_admin, page).args[0][1]._js_expr.strip('"') == "/app"  # not an admin
    assert not page.allowed and page.users == []
    with session_scope() as s:
        s.get(User, world["bob"]).role = "admin"
    assert fire(AdminState.load_admin, page) is None
    assert page.allowed and {u.email for u in page.users} >= {"alice@example.com", "bob@example.com"}
