"""One trusted origin, security headers, relative redirects and the client address behind a proxy,
over real HTTP and websocket handshakes (uvicorn on 127.0.0.1) against the mounted API.

Reflex itself is stood in for by a tiny ASGI app: a page with an inline script, and an `/_event`
websocket that sends "state" (the signed-in user's email) as soon as it is open.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.responses import HTMLResponse
from starlette.websockets import WebSocket
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from palett.api import mount_api
from palett.api.cookies import cookie_name
from palett.services.accounts import sessions
from tests.conftest import reset_caches
from tests.fakes.server import serve_in_thread
from tests.integration.test_gallery import new_user

INLINE = "window.__reactRouterContext = {};"
PAGE = f"<!doctype html><html><head><script>{INLINE}</script></head><body>Studio</body></html>"
OWN_CSP = "default-src 'none'; frame-ancestors 'none'"  # a route's own, stricter policy (the share page)
FOREIGN = "http://localhost:1"  # same site (cookies travel), another origin


@dataclass
class FakeReflex:
    opened: list[str] = field(default_factory=list)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "websocket":
            ws = WebSocket(scope, receive, send)
            await ws.accept()
            self.opened.append(scope["path"])
            await ws.send_text("state: ada@example.com")
            await ws.close()
        elif scope["type"] == "http":
            if any(k == b"if-none-match" for k, _ in scope["headers"]):  # like Reflex's static files
                await HTMLResponse(None, status_code=304)(scope, receive, send)
                return
            own = {"content-security-policy": OWN_CSP} if scope["path"] == "/own-policy" else None
            await HTMLResponse(PAGE, headers=own)(scope, receive, send)


@dataclass
class Served:
    base: str
    reflex: FakeReflex
    cookies: dict[str, str]


@pytest.fixture
def served(db, monkeypatch) -> Iterator[Served]:
    reflex = FakeReflex()
    # Granian (Reflex prod) passes the TCP peer as is; uvicorn would apply X-Forwarded-For itself.
    base, stop = serve_in_thread(mount_api(reflex), proxy_headers=False)
    monkeypatch.setenv("PUBLIC_URL", base)
    reset_caches()
    with db() as s:
        token = sessions.create(s, new_user(db, "ada@example.com"))
    try:
        yield Served(base, reflex, {cookie_name(): token})
    finally:
        stop()


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://") + "/_event/?EIO=4&transport=websocket"


def test_a_foreign_origin_cannot_read_a_signed_in_users_export(served):
    with httpx.Client(base_url=served.base, cookies=served.cookies) as browser:
        for origin in (FOREIGN, "null", served.base + ".evil.example"):
            stolen = browser.get("/api/library/export", headers={"origin": origin})
            assert stolen.status_code == 403, origin
            assert "access-control-allow-origin" not in stolen.headers
            assert browser.get("/api/library/usage.csv", headers={"origin": origin}).status_code == 403
        own = browser.get("/api/library/export", headers={"origin": served.base})
        assert own.status_code == 200
        assert zipfile.ZipFile(io.BytesIO(own.content)).namelist()
        # Navigations and same-origin GETs carry no Origin at all.
        assert browser.get("/api/library/export").status_code == 200


def test_a_foreign_origin_cannot_open_the_event_websocket(served):
    headers = {"Cookie": f"{cookie_name()}={served.cookies[cookie_name()]}"}
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(served.base), origin=FOREIGN, additional_headers=headers, open_timeout=5)
    assert refused.value.response.status_code == 403
    assert served.reflex.opened == []  # refused before the app (and its state) was reached
    with connect(ws_url(served.base), origin=served.base, additional_headers=headers, open_timeout=5) as ws:
        assert ws.recv(timeout=5) == "state: ada@example.com"
    assert served.reflex.opened == ["/_event/"]


def test_allowed_origins_admits_one_more_origin(served, monkeypatch):
    monkeypatch.setenv("ALLOWED_ORIGINS", f"{FOREIGN}, https://admin.palett.example")
    reset_caches()
    with httpx.Client(base_url=served.base, cookies=served.cookies) as browser:
        assert browser.get("/api/library/export", headers={"origin": FOREIGN}).status_code == 200
        assert browser.get("/api/library/export", headers={"origin": "http://localhost:2"}).status_code == 403
    with connect(ws_url(served.base), origin=FOREIGN, open_timeout=5) as ws:
        assert ws.recv(timeout=5).startswith("state")


def test_every_page_and_api_response_carries_the_security_headers(served):
    # A revisit (If-None-Match) still gets the whole page: a 304 would replace the cached page's CSP.
    page = httpx.get(served.base + "/studio", headers={"accept": "text/html", "accept-encoding": "gzip",
                                                       "if-none-match": '"v1"'})
    api = httpx.get(served.base + "/api/health")
    refused = httpx.get(served.base + "/api/health", headers={"origin": FOREIGN})
    for response in (page, api, refused):
        h = response.headers
        assert "default-src 'self'" in h["content-security-policy"]
        assert "frame-ancestors 'none'" in h["content-security-policy"]
        assert h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "strict-origin-when-cross-origin"
        assert "camera=()" in h["permissions-policy"]
        assert h["cross-origin-opener-policy"] == "same-origin"
        assert "strict-transport-security" not in h  # PUBLIC_URL is http here
    digest = base64.b64encode(hashlib.sha256(INLINE.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in page.headers["content-security-policy"]
    assert page.text == PAGE


def test_a_routes_own_stricter_policy_is_kept(served):
    page = httpx.get(served.base + "/own-policy", headers={"accept": "text/html"})
    assert page.headers["content-security-policy"] == OWN_CSP
    assert page.headers["x-content-type-options"] == "nosniff"


def test_hsts_when_public_url_is_https(served, monkeypatch):
    monkeypatch.setenv("PUBLIC_URL", "https://palett.example")
    reset_caches()
    assert "max-age=" in httpx.get(served.base + "/api/health").headers["strict-transport-security"]


def test_redirects_are_relative_when_pages_and_api_share_a_port(served, monkeypatch):
    post = {"data": {"email": "nobody@example.com"}, "headers": {"origin": served.base}}
    monkeypatch.setenv("PUBLIC_URL", "http://localhost:3000")  # wrong on purpose: relative ignores it
    monkeypatch.setenv("ALLOWED_ORIGINS", served.base)
    reset_caches()
    monkeypatch.setenv("REFLEX_ENV_MODE", "prod")  # `reflex run --env prod`: one port for pages and API
    assert httpx.post(served.base + "/api/auth/forgot", **post).headers["location"] == "/forgot?notice=reset_sent"
    monkeypatch.setenv("REFLEX_ENV_MODE", "dev")  # dev: the API port has no pages, only PUBLIC_URL does
    location = httpx.post(served.base + "/api/auth/forgot", **post).headers["location"]
    assert location == "http://localhost:3000/forgot?notice=reset_sent"


def login_error(base: str, email: str, forwarded_for: str) -> str:
    r = httpx.post(base + "/api/auth/login", data={"email": email, "password": "wrong-pass-1"},
                   headers={"origin": base, "x-forwarded-for": forwarded_for})
    return parse_qs(urlsplit(r.headers["location"]).query)["error"][0]


def test_login_throttle_keys_on_the_client_behind_a_trusted_proxy(served, monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "127.0.0.1")  # the test client is the proxy
    monkeypatch.setenv("LOGIN_ATTEMPTS_PER_IP", "5/15 minutes")
    reset_caches()
    for n in range(5):
        assert login_error(served.base, f"a{n}@example.com", "198.51.100.1") == "bad_credentials"
    assert login_error(served.base, "a5@example.com", "198.51.100.1") == "throttled"
    # Another user behind the same proxy has their own bucket.
    assert login_error(served.base, "b@example.com", "198.51.100.2") == "bad_credentials"


def test_forwarded_headers_from_an_untrusted_peer_are_ignored(served, monkeypatch):
    monkeypatch.setenv("LOGIN_ATTEMPTS_PER_IP", "5/15 minutes")
    reset_caches()
    for n in range(5):  # a guesser rotating a fake X-Forwarded-For still shares one bucket
        assert login_error(served.base, f"a{n}@example.com", f"198.51.100.{n}") == "bad_credentials"
    assert login_error(served.base, "a5@example.com", "198.51.100.99") == "throttled"
