"""A mask editor for inpainting: paint over an image, export a black/white mask at the image's pixel size.

The React side is our own component in ``assets/js/mask_editor.jsx`` (plain Canvas 2D + pointer events, Radix
Themes controls, lucide icons; no extra npm package), with its parts (operation log, viewport, strokes, shortcuts,
toolbar, CSS) in ``assets/js/mask_editor/``. Reflex copies ``assets/`` to ``.web/public``, and the component is
imported from ``$/public/js/mask_editor.jsx``; its relative imports are bundled by Vite, in dev and in the prod
build.

Usage::

    from palett.components.mask_editor import export_mask, mask_editor
    from palett.services.media.masks import store_mask

    class EditState(rx.State):
        mask_url: str = ""

        @rx.event
        async def got_mask(self, data_url: str):
            key = await asyncio.to_thread(store_mask, user_id, data_url, size)   # checked, binarised, stored
            ...

    mask_editor(EditState.image_url, on_export=EditState.got_mask, id="mask-editor", alt="Photo to edit")
    rx.button("Use mask", on_click=export_mask("mask-editor"))   # client-side, no server round trip

``mask_editor(src, *, on_export=None, export_trigger=None, id=None, **props)``

- ``src``: the image URL (``Var[str]`` or ``str``). A new ``src`` starts a new, empty mask.
- ``on_export(data_url: str)``: receives ``data:image/png;base64,...``: a PNG of exactly the image's natural
  width x height, opaque black everywhere and white where the person painted (white = area to fill).
  Antialiased stroke edges are thresholded at 50 %, so the PNG holds only the two values 0 and 255.
- Three ways to export, use whichever fits the flow:
  ``export_trigger=State.some_int`` (exports each time the value changes after mount), the client-side event
  ``export_mask(id)`` (needs ``id``), or ``auto_export=True`` (exports 250 ms after every change, so the state
  always holds the current mask). ``export_label="Use mask"`` also puts an export button in the toolbar.
  ``clear_mask(id)`` clears (undoable). From other JavaScript, ``refs["ref_<id>"].current`` offers
  ``exportMask() undo() redo() clear() invert() fit() zoomIn() zoomOut() setTool(t) setBrushSize(n) hasMask()``.
- ``on_mask_change(painted: bool)``: fires when the mask goes from empty to painted or back (e.g. to enable a
  Generate button). ``on_ready(size: dict)``: ``{"width": w, "height": h}`` once the image has loaded.
- ``brush_size`` (image pixels; default: 1/16 of the image's longer side), ``min_brush_size`` (2),
  ``max_brush_size`` (default 1/4 of the longer side), ``overlay_color`` (CSS colour, default violet),
  ``overlay_opacity`` (0..1, default 0.55), ``alt`` (describes the image for screen readers), ``label``
  (accessible name, default "Mask editor"), ``show_hints`` (footer with size and key hints, default True).
- Style props (``height="600px"``, ``width``, ...) apply to the editor's outer box (default height 560 px).

Interaction: mouse, pen and touch through pointer events (``touch-action: none`` on the canvas). Tools: brush,
eraser (a pen's eraser end erases too) and hand. Keys while the editor has focus: B brush, E eraser, H hand,
``[``/``]`` brush size, Ctrl/Cmd+Z undo, Ctrl/Cmd+Shift+Z or Ctrl+Y redo, I invert, ``+``/``-`` zoom, 0 fit,
1 actual size, arrow keys pan, Space+drag pans. Wheel zooms around the pointer (trackpad pinch too), Shift+wheel
pans; two fingers pinch-zoom and pan on touch screens; the middle mouse button pans. Every control has an
aria-label and a tooltip naming its shortcut; the canvas is focusable and describes its keys.

Size limit: the mask travels over Reflex's websocket, whose messages are capped by
``REFLEX_SOCKET_MAX_HTTP_BUFFER_SIZE`` (1 MB by default). Black/white PNGs compress well: a 512 x 512 mask is a
few KB; a 4096 x 4096 mask with 30 thick strokes measured ~0.5 MB as a data URL in Chromium. Raise that setting
for larger images or very busy masks. ``services.media.masks`` enforces its own cap on the server side.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.event import EventSpec
from reflex.vars import Var
from reflex_base.event import passthrough_event_spec
from reflex_base.utils.format import format_ref

LIBRARY = "$/public/js/mask_editor.jsx"


class MaskEditor(rx.Component):
    """Image + paintable mask overlay (React component in assets/js/mask_editor.jsx)."""

    library = LIBRARY
    tag = "MaskEditor"

    src: Var[str]
    alt: Var[str]
    label: Var[str]
    brush_size: Var[int]
    min_brush_size: Var[int]
    max_brush_size: Var[int]
    overlay_color: Var[str]
    overlay_opacity: Var[float]
    export_trigger: Var[int]
    auto_export: Var[bool]
    export_label: Var[str]
    show_hints: Var[bool]

    on_export: rx.EventHandler[passthrough_event_spec(str)]  # type: ignore[type-arg,valid-type]
    on_mask_change: rx.EventHandler[passthrough_event_spec(bool)]  # type: ignore[type-arg,valid-type]
    on_ready: rx.EventHandler[passthrough_event_spec(dict[str, int])]  # type: ignore[type-arg,valid-type]


def mask_editor(src: Var[str] | str, **props: Any) -> rx.Component:
    """The mask editor for `src`; see the module docstring for every prop and event."""
    return MaskEditor.create(src=src, **props)


def _editor_call(editor_id: str, method: str) -> EventSpec:
    ref = format_ref(editor_id)  # the name Reflex gives the component's ref (refs["ref_<id>"])
    return rx.call_function(
        Var(
            _js_expr=f"(() => refs[{ref!r}]?.current?.{method}())",
            _var_data=rx.vars.VarData(imports={"$/utils/state": [rx.ImportVar(tag="refs")]}),
        )
    )


def export_mask(editor_id: str) -> EventSpec:
    """A client-side event that makes the editor with this `id` export now (its `on_export` receives the PNG)."""
    return _editor_call(editor_id, "exportMask")


def clear_mask(editor_id: str) -> EventSpec:
    """A client-side event that clears the mask of the editor with this `id` (undoable)."""
    return _editor_call(editor_id, "clear")
