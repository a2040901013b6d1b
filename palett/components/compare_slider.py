"""A before/after image slider on top of react-compare-slider 4 (npm ``react-compare-slider@4.0.0``).

The React side is ``assets/js/compare_slider.jsx``: it assembles the library's composable parts
(``react-compare-slider/components`` + ``useReactCompareSlider``) and adds what the stock component lacks for us:
a checkerboard behind both images (transparent cut-outs stay visible), "Before"/"After" badges, a named handle
with ``aria-valuetext`` and a visible focus ring, and Home/End/PageUp/PageDown next to the library's arrow keys.

Usage::

    from palett.components.compare_slider import compare_slider

    compare_slider(State.original_url, State.result_url,
                   before_alt="Original photo", after_alt="Background removed")

``compare_slider(before_src, after_src, *, before_alt="Before", after_alt="After", **props)``

- ``before_src`` / ``after_src``: image URLs (``Var[str]`` or ``str``); "before" is on the left (top in portrait).
- ``before_alt`` / ``after_alt``: alt text of each image (describe the image, not its position).
- ``before_label`` / ``after_label``: badge text and the words used in the handle's ``aria-valuetext``
  ("60% Before, 40% After"); pass ``""`` to hide a badge.
- ``handle_label``: the handle's accessible name (default "Compare Before and After").
- ``default_position`` (0..100, default 50), ``portrait`` (vertical split), ``keyboard_increment``
  (``"5%"`` or a pixel number), ``fit`` (``"contain"``, default, shows the whole image; or ``"cover"``).
- ``aspect`` (``"600 / 400"``, the result's width / height) with ``max_height`` (``"560px"``): the frame takes the
  result's shape, fits the width, is never taller than ``max_height``, and draws both images whole.
- ``before_box``: ``{"left", "top", "width", "height"}`` in % of the frame: where the before image sits inside the
  result (outpaint), so before and after line up at the same scale. Default: the whole frame.
- Other style props (``max_width``...) apply to the slider's outer box.

Input: drag anywhere with mouse or pen; on touch screens the handle is dragged (so the page can still scroll
vertically). Keyboard: Tab to the handle (role="slider"), then arrow keys (the library), Home/End (all before /
all after) and PageUp/PageDown (10 %).
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import Var

LIBRARY = "$/public/js/compare_slider.jsx"
NPM_PACKAGE = "react-compare-slider@4.0.0"


class CompareSlider(rx.Component):
    """Before/after slider (React component in assets/js/compare_slider.jsx)."""

    library = LIBRARY
    tag = "CompareSlider"
    # The local file imports react-compare-slider; this makes Reflex install it into .web.
    lib_dependencies: list[str] = [NPM_PACKAGE]

    before_src: Var[str]
    after_src: Var[str]
    before_alt: Var[str]
    after_alt: Var[str]
    before_label: Var[str]
    after_label: Var[str]
    handle_label: Var[str]
    default_position: Var[float]
    portrait: Var[bool]
    keyboard_increment: Var[str | int]
    fit: Var[str]
    aspect: Var[str]
    before_box: Var[dict[str, str]]
    max_height: Var[str]


def compare_slider(
    before_src: Var[str] | str,
    after_src: Var[str] | str,
    *,
    before_alt: Var[str] | str = "Before",
    after_alt: Var[str] | str = "After",
    **props: Any,
) -> rx.Component:
    """A before/after slider; see the module docstring for every prop."""
    return CompareSlider.create(before_src=before_src, after_src=after_src, before_alt=before_alt,
                                after_alt=after_alt, **props)
