"""Answer a full load of the gallery with the person's newest thumbnails already in its HTML.

The gallery's thumbnails come with `on_load`, after React has hydrated and the socket has answered: on a cold
load here the first picture painted at ~750 ms against a first paint of ~330 ms. The prerendered page holds
placeholder tiles where the grid will be, in an element React renders with dangerouslySetInnerHTML and so
leaves as the HTML has it (components/gallery/first_screen.py). For a GET of /gallery with a session cookie
this wrapper fills that element with the newest thumbnails (links to their image pages), signed as the state
signs them a moment later: a process's storage hands out the same URL again within minutes, so the real grid
that replaces them finds the pictures in the browser's memory cache. (Behind several web processes the socket
may land on another one, whose URLs differ: the grid then fetches those thumbnails once more.)

Only the default view (no query): a tab whose state has filters set shows its own view once the state
arrives. Personal, so never cached. Sits inside `mount_api` (the security headers apply) and so inside
HashSessionCookie: the session cookie it sees is the token's hash, as the Reflex state sees it.
"""

from __future__ import annotations

from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from palett.api.slashes import static_dir
from palett.components.gallery.first_screen import FIRST_SCREEN, PLACEHOLDER_HTML, tiles_html
from palett.services.accounts import sessions
from palett.services.accounts.session_cookie import hashed_from_cookie_header
from palett.services.common.db import session_scope
from palett.services.library import gallery

GALLERY = "/gallery/"  # the path after palett.api.slashes has given it its slash
NO_STORE = {"cache-control": "private, no-store"}


def filled(root: Path, cookie_header: str) -> str | None:
    """The gallery page with the signed-in person's first screen, or None (nobody signed in, no images, no
    such page in the build)."""
    hashed = hashed_from_cookie_header(cookie_header)  # HashSessionCookie (api/cookies.py) has hashed the token
    page_html = _page(root) if hashed else None
    if page_html is None:
        return None
    with session_scope() as db:
        found = sessions.lookup(db, hashed)
        if found is None or found[1].id is None:
            return None
        tiles = gallery.page_of(db, found[1].id, gallery.Filters(), limit=FIRST_SCREEN).items
    return page_html.replace(PLACEHOLDER_HTML, tiles_html(tiles), 1) if tiles else None


def _page(root: Path) -> str | None:
    """The prerendered gallery, if the build has it with the placeholder (read per request: a rebuild
    replaces it, and the file is small and in the page cache)."""
    file = root / GALLERY.strip("/") / "index.html"
    html = file.read_text() if file.is_file() else ""
    return html if PLACEHOLDER_HTML in html else None


def serve_first_screens(app: ASGIApp) -> ASGIApp:
    """An api_transformer: a GET of the gallery with a session cookie gets its first screen in the HTML."""
    root = static_dir()

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == GALLERY \
                and not scope.get("query_string"):
            cookie_header = Request(scope).headers.get("cookie", "")
            html = await run_in_threadpool(filled, root, cookie_header) if cookie_header else None
            if html is not None:
                await HTMLResponse(html, headers=NO_STORE)(scope, receive, send)
                return
        await app(scope, receive, send)

    return asgi
