"""Files of the frontend build are answered before the middleware stack (palett/api/static_assets.py), over
real HTTP: with the security headers, compressed when asked, hashed chunks cached for good; anything that is
not such a file (pages, API routes, missing files, paths out of the folder) reaches the app as before."""

from __future__ import annotations

import gzip
import http.client
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.responses import PlainTextResponse

from palett.api import static_assets
from tests.fakes.server import serve_in_thread

CHUNK = b"export const answer = 42;\n" * 40


class App:
    """Stands in for the whole stack: records what reached it."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope, receive, send) -> None:
        self.paths.append(scope["path"])
        await PlainTextResponse("the app", status_code=404)(scope, receive, send)


@pytest.fixture
def served(tmp_path, monkeypatch) -> Iterator[tuple[str, App]]:
    build = tmp_path / "client"
    (build / "assets").mkdir(parents=True)
    (build / "assets/root-Ab12Cd.js").write_bytes(CHUNK)
    (build / "assets/root-Ab12Cd.js.gz").write_bytes(gzip.compress(CHUNK))
    (build / "showcase").mkdir()
    (build / "showcase/harbour.webp").write_bytes(b"RIFF....WEBP")
    (build / "studio").mkdir()
    (build / "studio/index.html").write_text("<html>studio</html>")
    (tmp_path / "secret.txt").write_text("not for you")
    monkeypatch.setattr(static_assets, "static_dir", lambda: build)
    app = App()
    base, stop = serve_in_thread(static_assets.serve_build_files_first(app))
    try:
        yield base, app
    finally:
        stop()


def test_a_hashed_chunk_is_served_compressed_with_the_security_headers_and_cached_for_good(served):
    base, app = served
    got = httpx.get(base + "/assets/root-Ab12Cd.js", headers={"accept-encoding": "gzip"})
    assert got.status_code == 200 and got.content == CHUNK
    h = got.headers
    assert h["content-encoding"] == "gzip" and h["content-type"].startswith("text/javascript")
    assert h["cache-control"] == "public, max-age=31536000, immutable"
    assert "default-src 'self'" in h["content-security-policy"]
    assert h["x-content-type-options"] == "nosniff" and h["cross-origin-opener-policy"] == "same-origin"
    head = httpx.head(base + "/assets/root-Ab12Cd.js")
    assert head.status_code == 200 and head.content == b""
    revisit = httpx.get(base + "/assets/root-Ab12Cd.js", headers={"if-none-match": h["etag"],
                                                                   "accept-encoding": "gzip"})
    assert revisit.status_code == 304
    assert app.paths == []  # none of it went through the stack


def test_a_picture_of_the_build_is_served_without_the_long_cache(served):
    base, app = served
    got = httpx.get(base + "/showcase/harbour.webp")
    assert got.status_code == 200 and got.headers["content-type"] == "image/webp"
    assert "cache-control" not in got.headers  # not hashed: revalidated by its ETag
    assert got.headers["x-frame-options"] == "DENY"
    assert app.paths == []


@pytest.mark.parametrize("path", ["/studio", "/studio/", "/studio/index.html", "/api/health.json",
                                  "/assets/missing-Zz99.js", "/showcase", "/media/u/1/x.webp"])
def test_pages_endpoints_and_missing_files_reach_the_app(served, path):
    base, app = served
    assert httpx.get(base + path).text == "the app"
    assert app.paths == [path]


def test_a_post_reaches_the_app(served):
    base, app = served
    assert httpx.post(base + "/assets/root-Ab12Cd.js").text == "the app"
    assert app.paths == ["/assets/root-Ab12Cd.js"]


@pytest.mark.parametrize("raw", ["/assets/../../secret.txt", "/assets/%2e%2e/%2e%2e/secret.txt",
                                 "//etc/hostname.txt", "/showcase/../../secret.txt"])
def test_a_path_out_of_the_build_folder_is_not_served(served, raw):
    base, _ = served
    conn = http.client.HTTPConnection(urlsplit(base).netloc)
    conn.request("GET", raw)  # as sent, not normalised by a client library
    got = conn.getresponse()
    assert b"not for you" not in got.read()
    assert got.status != 200
