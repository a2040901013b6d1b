"""Serving pages without a trailing-slash redirect, and the chunk groups added to Reflex's vite.config.js."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from reflex_base.compiler.templates import vite_config_template

from palett.api import slashes
from palett.vite_chunks import MARK, add_chunk_groups


@pytest.fixture
def build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "studio").mkdir()
    (tmp_path / "studio/index.html").write_text("<html></html>")
    monkeypatch.setattr(slashes, "static_dir", lambda: tmp_path)
    return tmp_path


def seen_path(path: str, method: str = "GET") -> str:
    seen: dict[str, str] = {}

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        seen["path"] = scope["path"]

    wrapped = slashes.serve_pages_without_redirect(app)
    asyncio.run(wrapped({"type": "http", "method": method, "path": path, "raw_path": path.encode()}, None, None))
    return seen["path"]


def test_a_prerendered_page_is_served_at_its_own_path(build: Path) -> None:
    assert seen_path("/studio") == "/studio/"
    assert seen_path("/studio", "HEAD") == "/studio/"


def test_other_paths_pass_unchanged(build: Path) -> None:
    for path in ("/", "/studio/", "/gallery", "/image/7", "/api/health", "/styles.css", "/studio/../x"):
        assert seen_path(path) == path
    assert seen_path("/studio", "POST") == "/studio"


def test_chunk_groups_are_added_once_to_the_reflex_template() -> None:
    template = vite_config_template(base="/", hmr=False, force_full_reload=False, experimental_hmr=False,
                                    sourcemap=False)
    patched = add_chunk_groups(template)
    assert patched.count(MARK) == 1 and '"icons"' in patched and '"radix"' in patched
    assert "reflex-env" in patched  # Reflex's own group is kept
    assert add_chunk_groups(patched) == patched
    with pytest.raises(RuntimeError):
        add_chunk_groups("export default {}")
