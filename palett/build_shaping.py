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

Imported by rxconfig.py and palett/api/route_preload.py; nothing here runs in the app process at import time.
"""

from __future__ import annotations

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
    """Adds the chunk groups to the generated vite.config.js and the shells to react-router.config.js."""

    def pre_compile(self, **context: Any) -> None:
        context["add_modify_task"](VITE_CONFIG, add_chunk_groups)
        context["add_modify_task"](ROUTER_CONFIG, add_shells)
