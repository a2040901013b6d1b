"""The local editing engine: offline, classical image processing (plus u2netp for cut-outs).

Pure functions over PIL images; the only I/O is loading the u2netp model file (see segment.model_path).
Every operation does what its name says with classical methods, and the docstrings say where that ends:
inpainting and outpainting extrapolate from the surroundings (they don't invent content), upscaling is
Lanczos interpolation (not super-resolution), styles are filter pipelines and the reference "style" is a
colour-and-tone transfer (not neural style transfer), and a background from a prompt is procedural art.
Never imports reflex.
"""

from palett.services.generation.local_ops.background import composite, prompt_background, replace_background
from palett.services.generation.local_ops.inpaint import inpaint
from palett.services.generation.local_ops.outpaint import outpaint, padding_for_aspect
from palett.services.generation.local_ops.restore import restore
from palett.services.generation.local_ops.segment import foreground_mask, model_path, remove_background
from palett.services.generation.local_ops.style import STYLES, style_from_reference, stylize
from palett.services.generation.local_ops.upscale import FACTORS, FOUR_K, target_size, upscale

__all__ = [
    "FACTORS",
    "FOUR_K",
    "STYLES",
    "composite",
    "foreground_mask",
    "inpaint",
    "model_path",
    "outpaint",
    "padding_for_aspect",
    "prompt_background",
    "remove_background",
    "replace_background",
    "restore",
    "style_from_reference",
    "stylize",
    "target_size",
    "upscale",
]
