"""The dev outbox holds live sign-in links: its state answers only browsers on this machine."""

from __future__ import annotations

import asyncio

import pytest
from reflex import constants
from reflex.istate.data import RouterData
from reflex.state import State

from palett.services.accounts import mailer
from palett.state.outbox import OutboxState
from tests.conftest import reset_caches


def outbox_seen_by(peer: str, **headers: str) -> OutboxState:
    """Load the outbox as the Reflex app would for a websocket from `peer` (router data as Reflex builds it)."""
    root = State(_reflex_internal_init=True)
    outbox = root.get_substate(OutboxState.get_full_name().split(".")[1:])
    router = RouterData.from_router_data({
        constants.RouteVar.CLIENT_IP: peer,
        constants.RouteVar.HEADERS: {"host": "localhost:3000", "asgi-scope-client": peer, **headers},
    })
    root.router = outbox.router = router
    asyncio.run(OutboxState.load.fn(outbox))
    return outbox


@pytest.fixture(autouse=True)
def reset_link_mailed():
    mailer.send("ada@example.com", "Reset your Palett AI password", "http://localhost:3000/reset?token=secret")


@pytest.mark.parametrize("peer", ["127.0.0.1", "::1"])
def test_a_browser_on_this_machine_reads_the_outbox(peer):
    seen = outbox_seen_by(peer)
    assert not seen.refused
    assert [m.links for m in seen.mails] == [["http://localhost:3000/reset?token=secret"]]


@pytest.mark.parametrize(("peer", "headers"), [
    ("203.0.113.7", {}),  # another machine
    ("192.168.1.20", {}),  # the local network is not this machine
    ("127.0.0.1", {"x-forwarded-for": "203.0.113.7"}),  # through a reverse proxy on this machine
    ("127.0.0.1", {"forwarded": "for=203.0.113.7"}),
    ("", {}),  # unknown peer
])
def test_anyone_else_gets_nothing(peer, headers):
    seen = outbox_seen_by(peer, **headers)
    assert seen.refused and seen.mails == []


def test_production_shows_nothing_even_on_this_machine(monkeypatch):
    monkeypatch.setenv("PALETT_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    reset_caches()
    assert outbox_seen_by("127.0.0.1").mails == []
