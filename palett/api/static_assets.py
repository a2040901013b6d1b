"""Build files answered before the app's middleware stack.

A page load fetches about fifteen files: the hashed JS and CSS chunks under /assets/, the head scripts, the
landing's photos. Through the whole stack (request ids, the origin check, the OAuth session, the page
transformers, the cookie hasher, Reflex's CORS and telemetry) each cost 1.2-1.6 ms of server CPU (0.65 ms
here), on the event loop that also answers the websocket hydrating that same page. These files are public and
carry no user data, so they need none of it: they get the security headers here, and the hashed chunks (a new
build gives them new names) may be cached for a year. A path that is not a file of the build (a page, an API
route, a typo) goes on to the app as before.
"""

from __future__ import annotations

import stat

from reflex.config import get_config
from reflex.utils.precompressed_staticfiles import PrecompressedStaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from palett.api.security_headers import SecurityHeaders
from palett.api.slashes import NOT_PAGES, names_a_file, static_dir

HASHED = "/assets/"  # Vite's output: every name carries a content hash
IMMUTABLE = "public, max-age=31536000, immutable"


def is_build_file_path(path: str) -> bool:
    """A file name (not a page folder, not a prerendered page, which needs its CSP hashes) outside the app's
    own endpoints."""
    if not names_a_file(path) or path.endswith(".html"):
        return False
    return path.startswith(HASHED) or not path.startswith(NOT_PAGES)


def serve_build_files_first(app: ASGIApp) -> ASGIApp:
    """An api_transformer, outermost: GET/HEAD of a file of the frontend build is served here."""
    # check_dir=False: nothing is read until a request comes (the build may not be exported yet).
    server = PrecompressedStaticFiles(directory=static_dir(), check_dir=False,
                                      encodings=get_config().frontend_compression_formats)

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or not is_build_file_path(scope["path"]):
            await app(scope, receive, send)
            return
        full_path, found = server.lookup_path(scope["path"].lstrip("/"))  # refuses paths leaving the folder
        if found is None or not stat.S_ISREG(found.st_mode):
            await app(scope, receive, send)
            return
        response = server.file_response(full_path, found, scope)
        if scope["path"].startswith(HASHED):
            response.headers["cache-control"] = IMMUTABLE
        await SecurityHeaders(response)(scope, receive, send)  # the same headers and CSP as any other file

    return asgi
