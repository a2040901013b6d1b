"""Serve dynamic pages (`/image/[image_id]`, `/u/[handle]`): a prerendered shell, or the SPA fallback with the
route's JavaScript preloaded.

Reflex's production build prerenders static routes only; a dynamic route gets `__spa-fallback.html`, which
modulepreloads the entry and the root layout but not the page's own module. React Router finds that module
only after the entry has run, so the page's chunk was requested ~1 s after the HTML on a loaded host, in
series with everything else. This wrapper answers a GET/HEAD for a dynamic route with the fallback plus
`<link rel="modulepreload">` for that route's module and imports, read from the build's route manifest, so
the browser fetches them with the rest. It sits inside `mount_api`, so the security headers (and the page's
script hashes) apply as to any page.

A route prerendered as a shell (palett/build_shaping.py: the page before any state, at a placeholder path)
is answered with that shell instead, the placeholder replaced by the request's parameter: the page draws at
once (the image page its picture, named by the id) and React hydrates what it would have rendered itself.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from palett.api.slashes import NOT_PAGES, static_dir
from palett.build_shaping import placeholder

_MANIFEST_HREF = re.compile(r'<link rel="modulepreload" href="(/assets/manifest-[^"]+\.js)"/>')
_MANIFEST_PREFIX = "window.__reactRouterManifest="


@dataclass(frozen=True)
class DynamicRoute:
    pattern: re.Pattern[str]
    html: str  # the prerendered shell with placeholders, or the fallback page with this route's modules preloaded
    shell: bool

    def page_for(self, path: str) -> str | None:
        """The HTML for a request path, or None when it is not this route."""
        found = self.pattern.match(path)
        if not found:
            return None
        if not self.shell:
            return self.html
        html = self.html
        for name, value in found.groupdict().items():  # quoted: safe in an attribute, a JSON string or a URL
            html = html.replace(placeholder(name), quote(value, safe=""))
        return html


def route_pattern(path: str) -> re.Pattern[str]:
    """`image/:image_id` -> a regex for `/image/<one segment>` (an optional trailing slash), the segment named."""
    parts = [f"(?P<{part[1:]}>[^/]+)" if part.startswith(":") else re.escape(part)
             for part in path.strip("/").split("/")]
    return re.compile("^/" + "/".join(parts) + "/?$")


def with_preloads(fallback: str, hrefs: list[str]) -> str:
    """The fallback HTML with a modulepreload for each href it does not preload yet, after its own."""
    links = "".join(f'<link rel="modulepreload" href="{h}"/>' for h in hrefs if f'href="{h}"' not in fallback)
    last = fallback.rfind('<link rel="modulepreload"')
    at = fallback.index(">", last) + 1 if last >= 0 else fallback.index("</head>")
    return fallback[:at] + links + fallback[at:]


def dynamic_routes(root: Path) -> list[DynamicRoute]:
    """One entry per route with a `:param` in its path, from the build's manifest (none: no build).

    The catch-all `*` (the 404 page) is left out: it would match every file under the static folder.
    """
    from reflex_base import constants

    fallback_file = root / constants.ReactRouter.SPA_FALLBACK
    if not fallback_file.is_file():
        return []
    fallback = fallback_file.read_text()
    found = _MANIFEST_HREF.search(fallback)
    if not found:
        return []
    manifest_js = (root / found.group(1).lstrip("/")).read_text().strip()
    manifest = json.loads(manifest_js.removeprefix(_MANIFEST_PREFIX).rstrip(";"))
    routes = []
    for route in manifest["routes"].values():
        path = route.get("path") or ""
        if ":" not in path or "*" in path:
            continue
        shell = root / re.sub(r":(\w+)", lambda m: placeholder(m.group(1)), path) / "index.html"
        has_shell = shell.is_file()
        html = shell.read_text() if has_shell else with_preloads(fallback, [route["module"], *route["imports"]])
        routes.append(DynamicRoute(route_pattern(path), html, has_shell))
    return routes


_found: dict[Path, list[DynamicRoute]] = {}


def _routes(root: Path) -> list[DynamicRoute]:
    """Read once the build is there (a request may come in while `reflex run` is still building)."""
    if root not in _found and (routes := dynamic_routes(root)):
        _found[root] = routes
    return _found.get(root, [])


def preload_dynamic_routes(app: ASGIApp) -> ASGIApp:
    """An api_transformer: dynamic page paths get the fallback with their modules preloaded."""
    root = static_dir()

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and not scope["path"].startswith(NOT_PAGES):
            path = scope["path"]
            for route in _routes(root):
                if (html := route.page_for(path)) is not None:
                    await HTMLResponse(html, headers={"cache-control": "no-cache"})(scope, receive, send)
                    return
        await app(scope, receive, send)

    return asgi
