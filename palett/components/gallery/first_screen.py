"""The markup of the gallery's first screen before its state arrives: placeholder tiles in the prerendered page,
or the person's newest thumbnails filled in by the HTML response (palett/api/first_screen.py).

Plain strings, no Reflex: the grid renders the placeholder with dangerouslySetInnerHTML, and React does not
hydrate such an element's content, so what the response put there stays until the real grid replaces it.
The tiles use the real grid's classes (components/gallery/grid.py), so nothing moves when it does.
"""

from __future__ import annotations

from html import escape

from palett.services.library.gallery import Tile, alt_text

STATUS = '<span class="visually-hidden" role="status">Loading your images…</span>'
PLACEHOLDER_HTML = STATUS + '<div class="gallery-tile" aria-hidden="true"></div>' * 8
# Tiles that can be in the first screen load at once (a lazy image waits for layout, and one of them is the
# page's largest paint); the grid loads as many eagerly.
FIRST_SCREEN = 12
# The first row (up to 6 tiles of ≥ 172 px in the widest content column) is fetched first and painted as soon
# as decoded: the largest paint is one of them.
FIRST_ROW = 6
# Square, like the tile (CSS sizes it; the attributes tell the browser its shape before CSS and decoding).
TILE_PX = "384"

_TILE = ('<div class="rt-Box gallery-tile"><a class="rt-Text rt-reset rt-Link rt-underline-auto gallery-open" '
         'data-accent-color="" href="/image/{id}" aria-label="Open {alt}"><img src="{thumb}" alt="{alt}" '
         'loading="eager" decoding="{decoding}" class="gallery-thumb" width="{px}" height="{px}" '
         'fetchpriority="{priority}"/></a></div>')


def tiles_html(tiles: list[Tile]) -> str:
    """The first screen's tiles: each a link to its image page around its thumbnail (escaped: prompts are
    the person's own text)."""
    return STATUS + "".join(
        _TILE.format(id=int(t.id), alt=escape(alt_text(t.prompt, t.operation)), thumb=escape(t.thumb), px=TILE_PX,
                     decoding="sync" if i < FIRST_ROW else "async", priority="high" if i < FIRST_ROW else "auto")
        for i, t in enumerate(tiles[:FIRST_SCREEN]))
