"""The local preview engine: procedural art seeded by the prompt and seed. Not AI.

It gives the embedded default a pleasant, honest placeholder for text-to-image:
a palette read from colour and mood words in the prompt (or derived from its
hash), a soft gradient sky, layered hills, ribbons or bokeh, and fine grain.
The same (prompt, seed, size) always gives the same pixels. Shapes are drawn at
a working resolution of at most 512 px (they are soft anyway), then scaled up;
grain is added at full size so the result doesn't look blurry.
"""

from __future__ import annotations

import colorsys
import hashlib
import re
from collections.abc import Mapping

import numpy as np
from PIL import Image

MIN_SIDE, MAX_SIDE = 16, 4096
WORK_SIDE = 512  # long side of the canvas the shapes are drawn on
Array = np.ndarray
# Palette rows: sky top, sky bottom, accent (sun, highlights), mid (near shapes), deep (nearest/darkest).
SKY_TOP, SKY_BOTTOM, ACCENT, MID, DEEP = range(5)


def render(prompt: str, seed: int, width: int, height: int) -> Image.Image:
    """An RGB image of exactly width x height, deterministic for (prompt, seed, size)."""
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise ValueError(f"size must be between {MIN_SIDE} and {MAX_SIDE} pixels per side")
    words = _words(prompt)
    # Seeded from the normalised prompt text, never from a set: set order changes between processes.
    rng = np.random.default_rng(_digest(f"{seed}\x00{_normalise(prompt)}"))
    pal = palette_for(prompt)
    canvas = _Canvas(width, height)
    canvas.gradient(pal, rng)
    layout = _layout(words, rng)
    if words & STAR_WORDS or (_luminance(pal[SKY_TOP]) < 0.2 and rng.random() < 0.6):
        canvas.stars(rng)
    if layout == "horizon":
        canvas.horizon_scene(pal, rng, ridged=bool(words & RIDGE_WORDS))
    elif layout == "flow":
        canvas.bokeh(pal, rng, count=int(rng.integers(2, 5)))
        canvas.ribbons(pal, rng)
    else:
        canvas.bokeh(pal, rng, count=int(rng.integers(9, 17)))
    canvas.vignette(rng)
    return canvas.finish(rng)


def palette_for(prompt: str) -> Array:
    """Five RGB colours (rows, 0..1) from the prompt's colour and mood words, else from its hash."""
    words = _words(prompt)
    found = [_named(w) for w in _in_order(prompt, PALETTE_WORDS)]
    found += [_from_hue(HUE_WORDS[w], prompt) for w in _in_order(prompt, HUE_WORDS)]
    if not found:
        pal = _from_hash(prompt)
    elif len(found) == 1:
        pal = found[0]
    else:  # "sunset ocean": the sky of the first, the shapes of the second
        pal = np.vstack([found[0][:3], found[1][3:]])
    if words & MUTED_WORDS:
        grey = pal.mean(axis=1, keepdims=True)
        pal = pal + (grey - pal) * 0.45
    if words & DARK_WORDS:
        pal = pal * np.array([[0.45], [0.6], [1.0], [0.6], [0.5]], dtype=np.float32)
    if words & LIGHT_WORDS:
        pal = pal + (1 - pal) * 0.3
    return np.clip(pal, 0, 1).astype(np.float32)


# --- vocabulary: prompt words → palettes and layouts ---------------------------------------------------


def _vocab(text: str) -> set[str]:
    return set(text.split())


NAMED_PALETTES: dict[str, tuple[str, str, str, str, str]] = {
    "sunset": ("#3b2d6e", "#ff9a5a", "#ffd97a", "#c2456b", "#2a1838"),
    "dawn": ("#8fb5e8", "#ffd3a6", "#fff2c8", "#e29a8e", "#56466e"),
    "ocean": ("#7fc8f0", "#e4f6ff", "#fff7d8", "#2a8cbd", "#0a3557"),
    "forest": ("#bcdcb8", "#f1efd6", "#fff3b5", "#4d8a4a", "#1a3822"),
    "night": ("#060a22", "#2a2f6e", "#f2efd2", "#1c2250", "#05061a"),
    "neon": ("#120024", "#ff2ea6", "#00f0ff", "#7a1fa2", "#0d0221"),
    "pastel": ("#ffd6e8", "#d8ecff", "#fff6c8", "#c9b6f2", "#8fbfe6"),
    "fire": ("#2a0a05", "#ff6a1a", "#ffe066", "#c2260f", "#3b0a04"),
    "ice": ("#dff2ff", "#f7fcff", "#ffffff", "#8ec5e6", "#3d6f96"),
    "gold": ("#3b2a12", "#f2c46d", "#fff0b3", "#b8862b", "#4a3210"),
    "autumn": ("#f7d9a8", "#f4b183", "#fff2cc", "#c65a2e", "#5a2a1a"),
    "desert": ("#f3b983", "#fde6c4", "#fff6e0", "#d08c4f", "#7a4a2a"),
    "storm": ("#4d5664", "#b4bec9", "#e8edf2", "#66717f", "#272d35"),
    "blossom": ("#ffdbe8", "#fff4e6", "#ffffff", "#f29abf", "#7d3c63"),
    "tropical": ("#45cde6", "#fff0b3", "#fffbe0", "#1fb59a", "#0a5d6b"),
    "aurora": ("#04121f", "#0f3b4a", "#7dffb2", "#2bd1a0", "#061a24"),
}
PALETTE_WORDS: dict[str, str] = {
    word: name
    for name, words in {
        "sunset": "sunset dusk evening twilight warm",
        "dawn": "dawn sunrise morning",
        "ocean": "ocean sea beach wave water lake coast underwater river",
        "forest": "forest jungle nature tree leaf meadow garden moss",
        "night": "night midnight moon star space galaxy cosmic nebula universe",
        "neon": "neon cyberpunk synthwave vaporwave electric",
        "pastel": "pastel soft dreamy candy gentle",
        "fire": "fire flame lava volcano ember inferno",
        "ice": "ice snow winter frozen arctic frost glacier",
        "gold": "gold golden luxury amber",
        "autumn": "autumn fall harvest",
        "desert": "desert sand dune savanna",
        "storm": "storm rain fog mist cloudy grey gray",
        "blossom": "blossom cherry flower rose spring sakura",
        "tropical": "tropical summer lagoon island paradise",
        "aurora": "aurora borealis",
    }.items()
    for word in words.split()
}
HUE_WORDS: dict[str, float] = {
    pair.split(":")[0]: float(pair.split(":")[1])
    for pair in _vocab(
        "red:0 crimson:350 coral:12 peach:25 orange:28 yellow:50 lime:90 green:125 emerald:145 mint:150 "
        "turquoise:172 teal:175 cyan:187 blue:215 navy:225 indigo:245 lavender:262 violet:268 purple:275 "
        "magenta:305 pink:330"
    )
}
DARK_WORDS = {"dark", "moody", "noir", "gloomy", "gothic", "shadow", "sinister"}
LIGHT_WORDS = {"bright", "light", "airy", "white", "sunny"}
MUTED_WORDS = {"muted", "vintage", "retro", "faded", "minimal", "calm"}
STAR_WORDS = {"night", "star", "space", "galaxy", "cosmic", "nebula", "universe", "midnight", "starry"}
HORIZON_WORDS = _vocab(
    "landscape mountain hill valley horizon sea ocean lake desert dune sunset sunrise dawn field beach island "
    "coast river forest meadow canyon scenery"
)
RIDGE_WORDS = {"mountain", "peak", "alp", "alps", "canyon", "cliff", "range", "summit"}
FLOW_WORDS = {"aurora", "silk", "flow", "ribbon", "smoke", "fluid", "liquid", "wind", "fabric", "wave", "swirl"}
SCATTER_WORDS = _vocab("bokeh lights city bubble particle glitter lantern firefly sparkle confetti")


# --- prompt reading -------------------------------------------------------------------------------------


def _normalise(prompt: str) -> str:
    return " ".join(prompt.lower().split())


def _forms(prompt: str) -> list[tuple[str, ...]]:
    """Each word with its singular, so plurals ("stars", "waves") match without a stemmer."""
    raw = re.findall(r"[a-z]+", prompt.lower())
    return [(w, w[:-1]) if len(w) > 3 and w.endswith("s") else (w,) for w in raw]


def _words(prompt: str) -> set[str]:
    return {form for forms in _forms(prompt) for form in forms}


def _in_order(prompt: str, table: Mapping[str, object]) -> list[str]:
    """The table's words in the order the prompt mentions them."""
    seen: list[str] = []
    for forms in _forms(prompt):
        word = next((f for f in forms if f in table), None)
        if word is not None and word not in seen:
            seen.append(word)
    return seen


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _layout(words: set[str], rng: np.random.Generator) -> str:
    for layout, vocabulary in (("horizon", HORIZON_WORDS), ("flow", FLOW_WORDS), ("scatter", SCATTER_WORDS)):
        if words & vocabulary:
            return layout
    return str(rng.choice(["horizon", "flow", "scatter"], p=[0.45, 0.35, 0.2]))


def _hex(colour: str) -> list[float]:
    return [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]


def _named(word: str) -> Array:
    return np.array([_hex(c) for c in NAMED_PALETTES[PALETTE_WORDS[word]]], dtype=np.float32)


def _hsv(h: float, s: float, v: float) -> list[float]:
    return list(colorsys.hsv_to_rgb(h % 1.0, s, v))


def _from_hue(hue_degrees: float, prompt: str) -> Array:
    """A harmonious palette around one hue; the prompt's hash picks the light or dark variant."""
    h = hue_degrees / 360
    dark = _digest("dark" + _normalise(prompt)) % 3 == 0
    top = _hsv(h + 0.05, 0.55, 0.25) if dark else _hsv(h - 0.04, 0.3, 0.97)
    bottom = _hsv(h - 0.03, 0.45, 0.55) if dark else _hsv(h + 0.06, 0.18, 1.0)
    return np.array(
        [top, bottom, _hsv(h + 0.12, 0.25, 1.0), _hsv(h, 0.6, 0.72), _hsv(h - 0.02, 0.7, 0.3)], dtype=np.float32
    )


def _from_hash(prompt: str) -> Array:
    """Colours from the prompt's hash, related by a classic harmony (analogous, complementary, triadic)."""
    d = _digest("palette" + _normalise(prompt))
    base = (d % 360) / 360
    offset = [30, 180, 150, 120][(d >> 9) % 4] / 360
    second = base + offset
    if (d >> 12) % 3 == 0:  # a dusky variant now and then
        top, bottom = _hsv(base + 0.6, 0.5, 0.22), _hsv(second, 0.55, 0.7)
    else:
        top, bottom = _hsv(base, 0.32, 0.95), _hsv(second, 0.22, 1.0)
    accent = _hsv(second + 0.05, 0.3, 1.0)
    return np.array([top, bottom, accent, _hsv(second, 0.5, 0.68), _hsv(base, 0.62, 0.3)], dtype=np.float32)


def _luminance(rgb: Array) -> float:
    return float(rgb @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32))


def _saturate(rgb: Array, factor: float) -> Array:
    """Push a colour away from its grey; mixing complementary colours would otherwise turn muddy."""
    grey = rgb.mean()
    return np.clip(grey + (rgb - grey) * factor, 0, 1)


def _smooth(edge0: float | Array, edge1: float | Array, x: Array) -> Array:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


# --- drawing ------------------------------------------------------------------------------------------


class _Canvas:
    """A float RGB canvas in long-side units: x in [0, w], y in [0, h], the long side is 1."""

    def __init__(self, width: int, height: int) -> None:
        self.size = (width, height)
        scale = min(1.0, WORK_SIDE / max(width, height))
        self.pw, self.ph = max(8, round(width * scale)), max(8, round(height * scale))
        self.unit = max(self.pw, self.ph)
        self.w, self.h = self.pw / self.unit, self.ph / self.unit
        self.x = (np.arange(self.pw, dtype=np.float32) + 0.5)[None, :] / self.unit
        self.y = (np.arange(self.ph, dtype=np.float32) + 0.5)[:, None] / self.unit
        self.px = 1.0 / self.unit  # one working pixel, for anti-aliased edges
        self.img = np.zeros((self.ph, self.pw, 3), dtype=np.float32)
        self.light_sky = True

    def _rows(self, top: float, bottom: float) -> slice:
        return slice(max(0, int(top * self.unit)), min(self.ph, int(bottom * self.unit) + 1))

    def _cols(self, left: float, right: float) -> slice:
        return slice(max(0, int(left * self.unit)), min(self.pw, int(right * self.unit) + 1))

    def _paint(self, rows: slice, cols: slice, colour: Array | float, alpha: Array, glow: bool = False) -> None:
        """Alpha-blend a colour into a region; glow=True lightens (screen), which reads as light on dark skies."""
        region = self.img[rows, cols]
        a = alpha[..., None]
        if glow:
            region += (1 - region) * np.asarray(colour, dtype=np.float32) * a
        else:
            region += (np.asarray(colour, dtype=np.float32) - region) * a

    def gradient(self, pal: Array, rng: np.random.Generator) -> None:
        tilt = rng.uniform(-0.35, 0.35)
        t = ((self.x - self.w / 2) * np.sin(tilt) + self.y * np.cos(tilt)) / self.h
        t = _smooth(-0.05, 1.05, t)[..., None]
        self.img[:] = pal[SKY_TOP] + (pal[SKY_BOTTOM] - pal[SKY_TOP]) * t
        self.light_sky = _luminance(pal[SKY_TOP]) > 0.55

    def stars(self, rng: np.random.Generator) -> None:
        n = int(self.pw * self.ph / 260)
        ys, xs = rng.integers(0, self.ph, n), rng.integers(0, self.pw, n)
        brightness = (rng.random(n) ** 3 * 0.9).astype(np.float32)
        np.add.at(self.img, (ys, xs), brightness[:, None] * (1 - self.img[ys, xs]))
        for _ in range(int(rng.integers(3, 8))):  # a few bright ones with a halo
            self.orb(
                np.array([1.0, 0.97, 0.9], np.float32),
                rng.uniform(0, self.w),
                rng.uniform(0, self.h * 0.6),
                self.px * rng.uniform(0.6, 1.4),
                glow_strength=0.35,
            )

    def orb(self, colour: Array, cx: float, cy: float, r: float, glow_strength: float = 0.55) -> None:
        reach = r * 6
        rows, cols = self._rows(cy - reach, cy + reach), self._cols(cx - reach, cx + reach)
        d = np.sqrt((self.x[:, cols] - cx) ** 2 + (self.y[rows] - cy) ** 2)
        self._paint(rows, cols, colour, glow_strength * np.exp(-((d / (r * 2.4)) ** 2)), glow=True)
        self._paint(rows, cols, colour, 1 - _smooth(r - self.px, r + self.px, d))

    def horizon_scene(self, pal: Array, rng: np.random.Generator, ridged: bool) -> None:
        horizon = self.h * rng.uniform(0.45, 0.66)
        sun_x = self.w * rng.uniform(0.2, 0.8)
        sun_r = rng.uniform(0.045, 0.1)
        sun_colour = pal[ACCENT] if self.light_sky else np.minimum(1, pal[ACCENT] * 1.05)
        # Warm haze along the horizon, then the sun sitting in it.
        rows = self._rows(0, self.h)
        haze = 0.45 * np.exp(-(((self.y[rows] - horizon) / (0.18 * self.h)) ** 2)) * np.ones_like(self.x)
        self._paint(rows, slice(None), pal[ACCENT], haze, glow=not self.light_sky)
        self.orb(sun_colour, sun_x, horizon - rng.uniform(0.05, 0.3) * self.h, sun_r)
        self.bokeh(pal, rng, count=int(rng.integers(0, 4)))
        layers = int(rng.integers(3, 6))
        for i in range(layers):
            depth = i / (layers - 1)
            base = horizon + (0.9 * self.h - horizon) * depth**1.1
            colour = pal[MID] + (pal[DEEP] - pal[MID]) * depth
            colour = _saturate(colour + (pal[SKY_BOTTOM] - colour) * (1 - depth) * 0.45, 1.3)  # distance haze
            self.hill(base, colour, pal[ACCENT], depth, rng, ridged and i < layers - 1)

    def hill(
        self, base: float, colour: Array, rim: Array, depth: float, rng: np.random.Generator, ridged: bool
    ) -> None:
        amp = self.h * rng.uniform(0.02, 0.06) * (1 + 1.8 * ridged)
        octaves = 5 if ridged else 3
        spread = 2.1 if ridged else 1.6
        freq = rng.uniform(0.5, 2.0, octaves) * spread ** np.arange(octaves) * (2 * np.pi / self.w)
        phase = rng.uniform(0, 2 * np.pi, octaves)
        weight = (0.5 ** np.arange(octaves)).astype(np.float32)
        waves = np.sin(self.x[..., None] * freq + phase)
        if ridged:  # sharp, irregular peaks: folded sines over several octaves
            waves = 1 - 2 * np.abs(waves)
        crest = base - amp * (waves @ weight)[0] / weight.sum()
        top = float(crest.min()) - 0.02
        rows = self._rows(top, self.h)
        y = self.y[rows]
        # Far layers are blurrier; less so for steep ridges, whose vertical blur would streak.
        soft = self.px * (1 + (1.5 if ridged else 5) * (1 - depth))
        inside = _smooth(crest - soft, crest + soft, y)
        shade = 1 - 0.22 * _smooth(0, 0.35 * self.h, y - crest)  # darker towards the bottom
        self._paint(rows, slice(None), colour * shade[..., None], inside)
        self._paint(rows, slice(None), rim, 0.25 * np.exp(-(((y - crest) / (soft * 1.5 + self.px)) ** 2)), glow=True)

    def ribbons(self, pal: Array, rng: np.random.Generator) -> None:
        for _ in range(int(rng.integers(3, 7))):
            base = self.h * rng.uniform(0.2, 0.85)
            a1, a2 = self.h * rng.uniform(0.05, 0.18), self.h * rng.uniform(0.01, 0.05)
            f1, f2 = rng.uniform(0.5, 1.6) * 2 * np.pi / self.w, rng.uniform(2, 5) * 2 * np.pi / self.w
            p1, p2 = rng.uniform(0, 2 * np.pi, 2)
            centre = base + a1 * np.sin(self.x * f1 + p1) + a2 * np.sin(self.x * f2 + p2)
            width = self.h * rng.uniform(0.015, 0.06) * (0.6 + 0.4 * np.sin(self.x * f1 * 1.7 + p2))
            rows = self._rows(float((centre - 3 * width).min()), float((centre + 3 * width).max()))
            dist = (self.y[rows] - centre) / width
            mix = _smooth(0, self.w, self.x)[..., None]
            colour = pal[ACCENT] + (pal[MID if rng.random() < 0.5 else SKY_BOTTOM] - pal[ACCENT]) * mix
            strength = rng.uniform(0.35, 0.7)
            self._paint(rows, slice(None), colour, strength * np.exp(-(dist**2)), glow=not self.light_sky)
            self._paint(rows, slice(None), 1.0, 0.35 * strength * np.exp(-((dist / 0.18) ** 2)), glow=True)

    def bokeh(self, pal: Array, rng: np.random.Generator, count: int) -> None:
        if self.light_sky:  # light on light vanishes: use the palette's stronger colours
            choices = [pal[MID], _saturate(pal[MID] * 0.5 + pal[DEEP] * 0.5, 1.2), _saturate(pal[ACCENT], 1.6)]
            opacity = (0.12, 0.4)
        else:
            choices = [pal[ACCENT], pal[SKY_BOTTOM], np.minimum(1, pal[MID] * 1.3), pal[SKY_TOP] * 0.5 + 0.5]
            opacity = (0.08, 0.3)
        for _ in range(count):
            r = rng.uniform(0.02, 0.16)
            cx, cy = rng.uniform(-0.05, self.w + 0.05), rng.uniform(-0.05, self.h + 0.05)
            rows, cols = self._rows(cy - r, cy + r), self._cols(cx - r, cx + r)
            if rows.start >= rows.stop or cols.start >= cols.stop:
                continue
            d = np.sqrt((self.x[:, cols] - cx) ** 2 + (self.y[rows] - cy) ** 2)
            blur = r * rng.uniform(0.08, 0.7) + self.px
            disc = 1 - _smooth(r - blur, r, d)
            ring = 0.75 + 0.25 * _smooth(0.55 * r, r, d)  # real bokeh is brighter at the rim
            colour = choices[int(rng.integers(0, len(choices)))]
            self._paint(rows, cols, colour, rng.uniform(*opacity) * disc * ring, glow=not self.light_sky)

    def vignette(self, rng: np.random.Generator) -> None:
        d = np.sqrt(((self.x - self.w / 2) / self.w) ** 2 + ((self.y - self.h / 2) / self.h) ** 2) / 0.7071
        self.img *= (1 - rng.uniform(0.15, 0.3) * _smooth(0.45, 1.0, d))[..., None]

    def finish(self, rng: np.random.Generator) -> Image.Image:
        small = Image.fromarray(np.round(np.clip(self.img, 0, 1) * 255).astype(np.uint8), "RGB")
        full = small.resize(self.size, Image.Resampling.BICUBIC) if small.size != self.size else small
        # Fine monochrome film grain at full size: hides banding and the upscale's softness.
        width, height = self.size
        grain = rng.standard_normal((height, width), dtype=np.float32) * 3.2
        pixels = np.asarray(full, dtype=np.float32) + grain[..., None]
        return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
