"""Fetching by URL (services/media/fetch over services/common/ssrf): public addresses only, and the connection
goes to the address that was checked, so DNS rebinding can't turn it to loopback."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from palett.services.media.fetch import FetchRefused, fetch_bytes

PUBLIC = "93.184.216.34"
NAME = "images.example.com"


@pytest.fixture
def loopback_listener() -> Iterator[tuple[int, list[str]]]:
    """A TCP port on 127.0.0.1 that records every connection it accepts (what a rebinding attack would reach)."""
    sock = socket.create_server(("127.0.0.1", 0))
    sock.settimeout(0.2)
    accepted: list[str] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, peer = sock.accept()
            except TimeoutError:
                continue
            accepted.append(peer[0])
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield sock.getsockname()[1], accepted
    stop.set()
    thread.join(2)
    sock.close()


def rebinding_dns(monkeypatch, answers: list[str]) -> list[str]:
    """NAME answers `answers` in turn (the last one from then on); the system resolver serves other hosts and
    refuses PUBLIC (no network here: an unreachable address fails at once). Returns the hosts looked up."""
    real = socket.getaddrinfo
    looked_up: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)  # anyio passes IDNA bytes
        looked_up.append(name)
        if name == NAME:
            address = answers.pop(0) if len(answers) > 1 else answers[0]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        if name == PUBLIC:
            raise socket.gaierror(socket.EAI_NONAME, "unreachable in this test")
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return looked_up


async def plain_get(url: str) -> None:
    async with httpx.AsyncClient(verify=False) as client:
        await client.get(url)


def test_a_name_rebound_to_loopback_after_the_check_is_never_connected_to(monkeypatch, loopback_listener):
    port, accepted = loopback_listener
    url = f"https://{NAME}:{port}/photo.png"
    # The attack, against a client that looks the name up again: a check sees the public address, then the
    # connection reaches loopback.
    looked_up = rebinding_dns(monkeypatch, [PUBLIC, "127.0.0.1"])
    assert socket.getaddrinfo(NAME, port)[0][4][0] == PUBLIC
    with pytest.raises(httpx.HTTPError):
        asyncio.run(plain_get(url))
    deadline = time.monotonic() + 5
    while not accepted and time.monotonic() < deadline:  # the listener's thread records it
        time.sleep(0.01)
    assert accepted == ["127.0.0.1"]
    accepted.clear()

    looked_up = rebinding_dns(monkeypatch, [PUBLIC, "127.0.0.1"])
    with pytest.raises(httpx.ConnectError):  # the checked public address, unreachable here
        asyncio.run(fetch_bytes(url))
    assert accepted == []  # nothing reached loopback
    assert looked_up == [NAME]  # one lookup: the connection went to its answer, not to a second one


def test_a_name_with_any_private_or_loopback_address_is_refused(monkeypatch, loopback_listener):
    port, accepted = loopback_listener
    for answer in ("127.0.0.1", "10.0.0.7", "169.254.169.254", "::ffff:127.0.0.1"):
        rebinding_dns(monkeypatch, [answer])
        with pytest.raises(FetchRefused, match="private, loopback or reserved"):
            asyncio.run(fetch_bytes(f"https://{NAME}:{port}/photo.png"))
    with pytest.raises(FetchRefused, match="https"):
        asyncio.run(fetch_bytes(f"http://{NAME}:{port}/photo.png"))
    assert accepted == []
