"""Background removal with u2netp (a 4.6 MB salient-object network) run directly through onnxruntime.

The model takes a fixed 1x3x320x320 input, so the recipe is small: resize to 320x320, normalise like U2Net
(scale to 0..1 by the image's maximum, then ImageNet mean/std), run, min-max normalise the first output
(the fused saliency map), resize it back with cubic interpolation, refine it against the full-resolution
photo with a guided filter (edges follow the real contours instead of the 320 px blur), tighten it with a
gentle curve and use it as alpha.

The weights come from scripts/fetch_u2netp.py (models/u2netp.onnx); U2NETP_PATH overrides the location.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
from PIL import Image

from palett.services.generation.local_ops._pixels import Array, merge, split

ROOT = Path(__file__).resolve().parents[4]
MODEL_SIDE = 320
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
THREADS = 2
_lock = threading.Lock()


def model_path() -> Path:
    """$U2NETP_PATH, else <repo>/models/u2netp.onnx."""
    configured = os.environ.get("U2NETP_PATH")
    return Path(configured) if configured else ROOT / "models" / "u2netp.onnx"


@lru_cache(maxsize=2)
def _session(path: str) -> ort.InferenceSession:
    if not Path(path).is_file():
        raise FileNotFoundError(
            f"The background-removal model is missing at {path}: run `.venv/bin/python scripts/fetch_u2netp.py`"
            " (or set U2NETP_PATH)."
        )
    options = ort.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only
    # Without this, onnxruntime's arena keeps each run's ~300 MB of intermediate tensors for the next run
    # (measured: 405 MB held after one cut-out, 613 MB after two; 135 MB without it). The price: a cut-out
    # took ~1.09 s instead of ~0.87 s (median of 7, busy 2-CPU host).
    options.enable_cpu_mem_arena = False
    # The memory pattern plans one block for every intermediate tensor of a run (250 MB here, with the
    # NCHWc layout that ORT_ENABLE_ALL adds); without it tensors are allocated and freed as the graph runs,
    # and without the layout rewrite the live set is smaller: ~130 MB less at the peak, the same mask
    # (within 1/255) and the same time (docs/benchmarks.md, "Backend memory").
    options.enable_mem_pattern = False
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    return ort.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])


def session() -> ort.InferenceSession:
    """The u2netp session, loaded once per model path (InferenceSession.run is thread-safe)."""
    with _lock:  # two first calls at once would otherwise load the model twice
        return _session(str(model_path()))


def saliency(rgb: Array) -> Array:
    """The raw u2netp foreground probability, float32 320x320 in 0..1 (min-max normalised)."""
    small = cv2.resize(rgb, (MODEL_SIDE, MODEL_SIDE), interpolation=cv2.INTER_AREA).astype(np.float32)
    small /= max(float(small.max()), 1e-6)
    tensor = ((small - MEAN) / STD).transpose(2, 0, 1)[None].astype(np.float32)
    sess = session()
    output = sess.run(None, {sess.get_inputs()[0].name: tensor})[0][0, 0]
    lo, hi = float(output.min()), float(output.max())
    return ((output - lo) / max(hi - lo, 1e-6)).astype(np.float32)


def foreground_mask(img: Image.Image) -> Image.Image:
    """The subject's soft mask ("L", same size as img): 255 = subject, 0 = background.

    An input alpha channel is respected: pixels transparent in the input stay transparent.
    """
    rgb, alpha = split(img)
    mask = _refine(rgb, saliency(rgb))
    if alpha is not None:
        mask = (mask.astype(np.uint16) * alpha // 255).astype(np.uint8)
    return Image.fromarray(mask, "L")


def remove_background(img: Image.Image) -> Image.Image:
    """The image as RGBA with the background made transparent (the subject's mask as alpha)."""
    rgb, _ = split(img)
    mask = np.asarray(foreground_mask(img))
    return merge(rgb, mask)


def _refine(rgb: Array, prob: Array) -> Array:
    """Scale the 320x320 probability to the photo, snap its edges to the photo's, tighten the soft haze."""
    h, w = rgb.shape[:2]
    mask = np.clip(cv2.resize(prob, (w, h), interpolation=cv2.INTER_CUBIC), 0, 1)
    # Guided filter: a local linear model of the mask in terms of the photo, so the 320 px mask's blurry
    # outline moves onto the real edge. Radius ~ one model pixel at this size.
    radius = max(2, round(max(h, w) / MODEL_SIDE * 1.5))
    guide = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255
    if hasattr(cv2, "ximgproc"):  # opencv-contrib; plain opencv skips the snapping step
        mask = np.nan_to_num(cv2.ximgproc.guidedFilter(guide, mask, radius, 1e-3))
    # A gentle S-curve: low-confidence haze (<~0.1) goes to 0, near-certain subject (>~0.9) to 1,
    # the transition in between stays soft (hair, fur).
    mask = np.clip((mask - 0.1) / 0.8, 0, 1)
    mask = mask * mask * (3 - 2 * mask)
    # A slight feather (sub-pixel at 1 MP) so the cut edge is never stair-stepped.
    sigma = max(0.5, max(h, w) / 2048)
    mask = cv2.GaussianBlur(mask, (0, 0), sigma)
    return np.round(np.clip(mask, 0, 1) * 255).astype(np.uint8)
