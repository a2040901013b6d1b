"""Serving pages without a trailing-slash redirect, dynamic pages with their modules preloaded, and the chunk
groups and stylesheet rewrites added to Reflex's vite.config.js."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from reflex_base.compiler.templates import vite_config_template

from palett.api import route_preload, slashes
from palett.build_shaping import CSS_MARK, CSS_REWRITES, MARK, add_chunk_groups, add_css_rewrites, add_shells


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


FALLBACK = ('<html><head><link rel="modulepreload" href="/assets/manifest-1.js"/>'
            '<link rel="modulepreload" href="/assets/entry-1.js"/></head><body></body></html>')
MANIFEST = {"entry": {"module": "/assets/entry-1.js", "imports": []}, "routes": {
    "root": {"id": "root", "path": "", "module": "/assets/root-1.js", "imports": []},
    "routes/_index": {"id": "routes/_index", "path": "", "index": True, "module": "/assets/index-1.js", "imports": []},
    "routes/404": {"id": "routes/404", "path": "*", "module": "/assets/404-1.js", "imports": []},
    "routes/image": {"id": "routes/image", "path": "image/:image_id", "index": True,
                     "module": "/assets/image-1.js", "imports": ["/assets/entry-1.js", "/assets/radix-1.js"]},
    "routes/u": {"id": "routes/u", "path": "u/:handle", "index": True,
                 "module": "/assets/u-1.js", "imports": ["/assets/entry-1.js", "/assets/radix-1.js"]}}}
SHELL = ('<html><head><link rel="modulepreload" href="/assets/image-1.js"/></head><body>'
         '<img src="/api/library/images/__image_id__/view?size=display"/>'
         '<script>window.__reactRouterContext = {"url":"/image/__image_id__"};</script></body></html>')


@pytest.fixture
def spa_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "__spa-fallback.html").write_text(FALLBACK)
    (tmp_path / "assets/manifest-1.js").write_text("window.__reactRouterManifest=" + json.dumps(MANIFEST) + ";")
    (tmp_path / "image/__image_id__").mkdir(parents=True)
    (tmp_path / "image/__image_id__/index.html").write_text(SHELL)
    monkeypatch.setattr(route_preload, "static_dir", lambda: tmp_path)
    monkeypatch.setattr(route_preload, "_found", {})
    return tmp_path


def answer(path: str) -> tuple[str | None, bytes]:
    """(the path the wrapped app saw, or None if the wrapper answered; the body the wrapper sent)."""
    seen: dict[str, str] = {}
    body = bytearray()

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        seen["path"] = scope["path"]

    async def send(message):  # type: ignore[no-untyped-def]
        body.extend(message.get("body", b""))

    wrapped = route_preload.preload_dynamic_routes(app)
    asyncio.run(wrapped({"type": "http", "method": "GET", "path": path, "headers": []}, None, send))
    return seen.get("path"), bytes(body)


def test_a_dynamic_page_gets_the_fallback_with_its_route_modules_preloaded(spa_build: Path) -> None:
    for path in ("/u/42-kite", "/u/42-kite/"):
        seen, body = answer(path)
        html = body.decode()
        assert seen is None
        assert html.count('href="/assets/u-1.js"') == 1 and html.count('href="/assets/radix-1.js"') == 1
        assert html.count('href="/assets/entry-1.js"') == 1  # already preloaded: not twice
        assert html.index("u-1.js") < html.index("</head>")


def test_a_dynamic_page_with_a_prerendered_shell_gets_it_with_its_parameter_filled_in(spa_build: Path) -> None:
    for path in ("/image/42", "/image/42/"):
        seen, body = answer(path)
        assert seen is None
        assert body.decode() == SHELL.replace("__image_id__", "42")
    # the path's segment is quoted, never copied raw into the page
    hostile = answer('/image/"><img src=x onerror=alert(1)>')[1].decode()
    assert hostile == SHELL.replace("__image_id__", "%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E")
    assert answer('/image/"><b>/x')[0] == '/image/"><b>/x'  # two segments: not this route


def test_the_router_config_prerenders_the_shells_and_only_when_it_prerenders_at_all() -> None:
    made = 'export default {"ssr": false, "prerender": true, "build": "build"};'
    assert add_shells(made) == ('export default {"ssr": false, "prerender": ({getStaticPaths}) => '
                                '[...getStaticPaths(), "/image/__image_id__"], "build": "build"};')
    assert add_shells('export default {"ssr": false};') == 'export default {"ssr": false};'


def test_static_pages_and_other_paths_pass_through(spa_build: Path) -> None:
    for path in ("/", "/studio", "/nowhere", "/js/library.js", "/image", "/image/42/x", "/api/image/42",
                 "/assets/image-1.js"):
        assert answer(path) == (path, b"")


def test_without_a_build_every_path_passes_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(route_preload, "static_dir", lambda: tmp_path)
    monkeypatch.setattr(route_preload, "_found", {})
    assert answer("/image/42") == ("/image/42", b"")


# As Radix Themes 3.3.0's styles.css writes them (quotes and spaces vary once Vite has processed the file).
RADIX_SELECTORS = (
    ":where(.rt-SegmentedControlItem:where([data-state='on'], :focus-visible)) + * .rt-SegmentedControlItemSeparator",
    ':where(.rt-SegmentedControlItem:where([data-state=on],:focus-visible))+* .rt-SegmentedControlItemSeparator',
    ":root:where(:has(.radix-themes[data-is-root-theme='true']:where(.light, .light-theme)))",
    ':root:where(:has(.radix-themes[data-is-root-theme=true]:where(.dark,.dark-theme)))',
)


def rewritten(css: str) -> str:
    """What the plugin's JavaScript does, with Python's re (the patterns use no syntax the two differ on)."""
    for pattern, to in CSS_REWRITES:
        css = re.sub(pattern, to.replace("$1", r"\1"), css)
    return css


def test_the_stylesheet_rewrites_narrow_the_two_selectors_that_restyle_the_whole_page() -> None:
    sibling, sibling_min, light, dark = (rewritten(s) for s in RADIX_SELECTORS)
    assert sibling == sibling_min == (":where(.rt-SegmentedControlItem:where([data-state=on],:focus-visible))"
                                      "+.rt-SegmentedControlItem .rt-SegmentedControlItemSeparator")
    assert (light, dark) == (":root:where(.light)", ":root:where(.dark)")
    untouched = ":where(.rt-SegmentedControlItem:first-child) .rt-SegmentedControlItemSeparator"
    assert rewritten(untouched) == untouched


def test_the_rewrite_plugin_is_added_once_to_the_reflex_template() -> None:
    template = vite_config_template(base="/", hmr=False, force_full_reload=False, experimental_hmr=False,
                                    sourcemap=False)
    patched = add_css_rewrites(template)
    assert patched.count(CSS_MARK) == 1 and patched.count("palettCssRewrites(),") == 1
    assert re.search(r"plugins:\s*\[\s*palettCssRewrites\(\),", patched)
    assert json.dumps(CSS_REWRITES) in patched
    assert add_css_rewrites(patched) == patched
    with pytest.raises(RuntimeError):
        add_css_rewrites("export default {}")
