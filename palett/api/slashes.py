"""Serve prerendered pages at their own path: `/studio` answers 200 instead of 307 -> `/studio/`.

Reflex's production build writes each static page to `build/client/<route>/index.html`, and Starlette's
StaticFiles redirects a directory path without a trailing slash. That costs every full load of an internal
link one extra round trip. This wrapper rewrites such a GET/HEAD path to the directory form before the static
files see it; the browser's URL stays `/studio`, which the client router matches the same way.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send

# Reflex's own endpoints and ours never map to a page folder.
NOT_PAGES = ("/api/", "/_event", "/_upload", "/ping", "/_health", "/assets/", "/media/")


def static_dir() -> Path:
    from reflex.utils import prerequisites
    from reflex_base import constants

    return prerequisites.get_web_dir() / constants.Dirs.STATIC


def names_a_file(path: str) -> bool:
    """The last segment has an extension (`/assets/root-Ab12.js`), so the path is a file, never a page folder."""
    return "." in path.rsplit("/", 1)[-1]


@lru_cache(maxsize=512)
def _has_page(root: Path, path: str) -> bool:
    return (root / path.strip("/") / "index.html").is_file()


def wants_slash(path: str, root: Path) -> bool:
    if path == "/" or path.endswith("/") or names_a_file(path) or path.startswith(NOT_PAGES):
        return False
    return ".." not in path and _has_page(root, path)


def serve_pages_without_redirect(app: ASGIApp) -> ASGIApp:
    """An api_transformer: wraps the whole app (API routes included) in the rewrite."""
    root = static_dir()

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and wants_slash(scope["path"], root):
            raw = scope.get("raw_path") or scope["path"].encode()
            scope = {**scope, "path": scope["path"] + "/", "raw_path": raw + b"/"}
        await app(scope, receive, send)

    return asgi
