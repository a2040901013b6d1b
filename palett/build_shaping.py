"""A Reflex plugin that shapes the production build: fewer, larger JavaScript chunks, and prerendered shells
for dynamic pages.

Chunks. Left alone, Rolldown gives every lucide icon shared by two pages its own ~0.5 KiB chunk, and every Radix
component its own chunk, so a page fetched 60 files before the websocket could open. Reflex 0.10 writes
`.web/vite.config.js` from a template on every compile; a plugin's `add_modify_task` may edit it (the
documented hook), so this adds two `output.codeSplitting.groups` to the template's own:

- `icons`: every icon that some page imports directly (`rx.icon("name")` compiles to one import per icon).
  Icons reached only through lucide's barrel or its dynamic import map (`rx.icon` with a state-dependent
  name: ~1,600 of them) keep their own chunks, else every page would download all of them.
- `radix`: Radix primitives and Radix Themes components.

Shells. React Router prerenders static routes only; a dynamic page (`/image/[image_id]`) got the empty SPA
fallback and drew nothing until its JavaScript had run (FCP = LCP ≈ 550-650 ms against ~300 ms for a
prerendered page). `react-router.config.js` (written by Reflex on every compile, editable the same way) now
also prerenders each route of SHELL_ROUTES at a placeholder path, `/image/__image_id__`: the page as it is
before any state, with the parameter wherever the page uses it. palett/api/route_preload.py serves that shell
for `/image/<id>` with the placeholder replaced, so the HTML is what React renders there and hydrates as is.

Style invalidation. Two Radix Themes 3.3.0 selectors make Chromium restyle the whole page whenever React inserts
nodes or changes a `data-state` attribute during hydration (found with the trace's invalidation tracking:
"Invalidation set invalidates subtree" on <body>, <main> and the theme root, each a full style recalc of 450-530
elements):

- `:where(.rt-SegmentedControlItem:where([data-state=on], :focus-visible)) + * .rt-SegmentedControlItemSeparator`:
  the universal `+ *` cannot be narrowed, so any `data-state` change invalidates every later sibling's subtree.
  An item's next sibling is always an item (Radix puts the indicator last, and it has no separator), so
  `+ .rt-SegmentedControlItem` selects the same elements.
- `:root:where(:has(.radix-themes[data-is-root-theme=true]:where(.light, .light-theme)))` (and `.dark`): the
  `:has()` on the root is re-checked on every insertion. It sets `color-scheme` on <html> once the theme root
  carries the mode class, which Reflex's color-mode provider gives it right after hydration, copied from <html>,
  where Reflex's head script put it before the first paint. `:root:where(.light)` is the same condition, met
  from the first paint instead.

A small Vite plugin rewrites them in the built stylesheet, and fails the build if Radix's text changed.

Imported by rxconfig.py and palett/api/route_preload.py; nothing here runs in the app process at import time.
"""

from __future__ import annotations

import json
import re
from typing import Any

import reflex as rx

VITE_CONFIG = "vite.config.js"
ROUTER_CONFIG = "react-router.config.js"
MARK = "/* palett chunk groups */"
SHELL_ROUTES = ("/image/[image_id]",)  # dynamic pages that draw something before their state arrives

GROUPS_JS = MARK + r"""
            {
              name(id, ctx) {
                if (/[\\/]lucide-react[\\/]dist[\\/]esm[\\/]icons[\\/]/.test(id)) {
                  // Imported by our own code, not only by lucide's barrel or its dynamic map.
                  const info = ctx.getModuleInfo(id);
                  const ours = (info?.importers ?? []).some((i) => !/[\\/]lucide-react[\\/]/.test(i));
                  return ours ? "icons" : null;
                }
                if (/[\\/]node_modules[\\/](@radix-ui|radix-ui)[\\/]/.test(id)) return "radix";
                return null;
              },
            },"""


CSS_MARK = "/* palett css rewrites */"
# (pattern, replacement) as JavaScript regular expression source and replacement string.
CSS_REWRITES = (
    (r":where\(\.rt-SegmentedControlItem:where\(\[data-state=[\"']?on[\"']?\],\s*:focus-visible\)\)\s*\+\s*\*\s+"
     r"\.rt-SegmentedControlItemSeparator",
     ":where(.rt-SegmentedControlItem:where([data-state=on],:focus-visible))+.rt-SegmentedControlItem "
     ".rt-SegmentedControlItemSeparator"),
    (r":root:where\(:has\(\.radix-themes\[data-is-root-theme=[\"']?true[\"']?\]:where\(\.(light|dark),\s*\.(?:light|dark)-theme"
     r"\)\)\)",
     ":root:where(.$1)"),
)
CSS_PLUGIN_JS = CSS_MARK + """
function palettCssRewrites() {
  const rewrites = REWRITES.map(([pattern, to]) => [new RegExp(pattern, "g"), to]);
  return {
    name: "palett-css-rewrites",
    apply: "build",
    // A normal plugin's transform sees a stylesheet after Vite has inlined its @imports and before it is
    // minified, hashed and written: the file name follows the rewritten content.
    transform(code, id) {
      if (!/\\.css($|\\?)/.test(id) || !code.includes("rt-SegmentedControlItemSeparator")) return null;
      for (const [pattern, to] of rewrites) {
        if (!pattern.test(code)) this.error(`palett-css-rewrites: no match for ${pattern} in ${id}: Radix changed`);
        pattern.lastIndex = 0;  // test() on a global pattern moves it
        code = code.replace(pattern, to);  // `to` may use $1, as String.replace does
      }
      return { code, map: null };
    },
  };
}
"""


def add_css_rewrites(config_js: str) -> str:
    """The template's vite.config.js with the stylesheet rewrites as a plugin (idempotent)."""
    if CSS_MARK in config_js:
        return config_js
    plugin = CSS_PLUGIN_JS.replace("REWRITES", json.dumps(CSS_REWRITES))
    patched, count = re.subn(r"(\nexport default defineConfig\()", lambda m: "\n" + plugin + m.group(1),
                             config_js, count=1)
    patched, plugged = re.subn(r"(plugins:\s*\[)", lambda m: m.group(1) + "\n    palettCssRewrites(),",
                               patched, count=1)
    if count != 1 or plugged != 1:
        raise RuntimeError("vite.config.js has no defineConfig plugins list: the Reflex template changed")
    return patched


def add_chunk_groups(config_js: str) -> str:
    """The template's vite.config.js with our groups first in `codeSplitting.groups` (idempotent)."""
    if MARK in config_js:
        return config_js
    patched, count = re.subn(r"(codeSplitting:\s*\{\s*groups:\s*\[)", lambda m: m.group(1) + GROUPS_JS,
                             config_js, count=1)
    if count != 1:
        raise RuntimeError("vite.config.js has no codeSplitting.groups: the Reflex template changed")
    return patched


def placeholder(param: str) -> str:
    """What stands for a route parameter in its prerendered shell (never a real id or handle)."""
    return f"__{param}__"


def shell_path(route: str) -> str:
    """`/image/[image_id]` -> `/image/__image_id__`."""
    return re.sub(r"\[(\w+)\]", lambda m: placeholder(m.group(1)), route)


def add_shells(config_js: str) -> str:
    """The generated react-router.config.js, prerendering the shells too (none without prerendering: dev mode)."""
    shells = ", ".join(f'"{shell_path(route)}"' for route in SHELL_ROUTES)
    return config_js.replace('"prerender": true',
                             f'"prerender": ({{getStaticPaths}}) => [...getStaticPaths(), {shells}]', 1)


class BuildShapingPlugin(rx.plugins.Plugin):
    """Adds the chunk groups and the stylesheet rewrites to the generated vite.config.js and the shells to
    react-router.config.js."""

    def pre_compile(self, **context: Any) -> None:
        context["add_modify_task"](VITE_CONFIG, lambda js: add_css_rewrites(add_chunk_groups(js)))
        context["add_modify_task"](ROUTER_CONFIG, add_shells)
