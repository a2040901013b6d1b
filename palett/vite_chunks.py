"""A Reflex plugin that shapes the production Vite build: fewer, larger JavaScript chunks.

Left alone, Rolldown gives every lucide icon shared by two pages its own ~0.5 KiB chunk, and every Radix
component its own chunk, so a page fetched 60 files before the websocket could open. Reflex 0.10 writes
`.web/vite.config.js` from a template on every compile; a plugin's `add_modify_task` may edit it (the
documented hook), so this adds two `output.codeSplitting.groups` to the template's own:

- `icons`: every icon that some page imports directly (`rx.icon("name")` compiles to one import per icon).
  Icons reached only through lucide's barrel or its dynamic import map (`rx.icon` with a state-dependent
  name: ~1,600 of them) keep their own chunks, else every page would download all of them.
- `radix`: Radix primitives and Radix Themes components.

Imported by rxconfig.py only; nothing here runs in the app process.
"""

from __future__ import annotations

import re
from typing import Any

import reflex as rx

VITE_CONFIG = "vite.config.js"
MARK = "/* palett chunk groups */"

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


class ViteChunksPlugin(rx.plugins.Plugin):
    """Adds the chunk groups to the generated vite.config.js."""

    def pre_compile(self, **context: Any) -> None:
        context["add_modify_task"](VITE_CONFIG, add_chunk_groups)
