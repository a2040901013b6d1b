"""The local prompt helper: a fixed template and plain pixel statistics. Not AI, and labelled so everywhere.

`enhance` adds lighting, composition and style phrases chosen by a hash of the prompt (the same prompt
always gets the same phrases). `describe` says what can be measured: orientation, size, brightness,
contrast, saturation and the dominant colours by name. It does not know what is in the picture.
"""

from __future__ import annotations

import hashlib

from PIL import Image, ImageStat

LIGHTING = ("soft golden-hour light", "diffused overcast light", "dramatic rim lighting", "warm window light",
            "cool blue-hour light", "high-key studio lighting")
COMPOSITION = ("rule-of-thirds composition", "centered symmetrical composition", "low-angle view",
               "wide establishing shot", "close-up with shallow depth of field", "leading lines toward the subject")
STYLE = ("35mm film photograph", "highly detailed digital painting", "cinematic still", "editorial photograph",
         "watercolor illustration", "matte painting")
FINISH = ("rich textures, sharp focus", "subtle film grain, natural colors", "crisp details, balanced contrast",
          "muted palette, gentle tones")

# Named colours for the summary (sRGB); the nearest name wins.
COLOURS: dict[str, tuple[int, int, int]] = {
    "black": (20, 20, 20), "charcoal grey": (64, 64, 64), "grey": (128, 128, 128), "silver": (192, 192, 192),
    "white": (245, 245, 245), "red": (200, 30, 30), "dark red": (110, 20, 20), "orange": (240, 140, 30),
    "brown": (120, 75, 40), "beige": (220, 200, 160), "yellow": (240, 220, 40), "olive": (120, 120, 40),
    "green": (40, 160, 60), "dark green": (20, 80, 40), "teal": (30, 130, 130), "cyan": (60, 200, 220),
    "sky blue": (120, 180, 235), "blue": (40, 80, 200), "navy": (20, 30, 90), "purple": (120, 50, 160),
    "violet": (170, 120, 220), "pink": (240, 150, 180), "magenta": (210, 40, 150),
}


def _pick(options: tuple[str, ...], digest: bytes, slot: int) -> str:
    return options[digest[slot] % len(options)]


def enhance(prompt: str) -> str:
    """The prompt plus four template phrases (deterministic; nothing is inferred from the words)."""
    text = " ".join(prompt.split()).rstrip(" .,;")
    digest = hashlib.sha256(text.lower().encode()).digest()
    extras = [_pick(LIGHTING, digest, 0), _pick(COMPOSITION, digest, 1), _pick(STYLE, digest, 2),
              _pick(FINISH, digest, 3)]
    return f"{text}, {', '.join(extras)}"


def colour_name(rgb: tuple[int, int, int]) -> str:
    return min(COLOURS, key=lambda name: sum((a - b) ** 2 for a, b in zip(COLOURS[name], rgb, strict=True)))


def dominant_colours(img: Image.Image, count: int = 3) -> list[str]:
    """Names of the most common colours, most common first, without repeats."""
    small = img.convert("RGB").resize((64, 64))
    palette = small.quantize(colors=6, method=Image.Quantize.MEDIANCUT)
    rgb = palette.getpalette() or []
    names: list[str] = []
    for _, index in sorted(palette.getcolors() or [], reverse=True):
        index = int(index)  # type: ignore[call-overload]  # a palette index on a "P" image
        name = colour_name((rgb[3 * index], rgb[3 * index + 1], rgb[3 * index + 2]))
        if name not in names:
            names.append(name)
    return names[:count]


def _orientation(width: int, height: int) -> str:
    if abs(width - height) <= max(width, height) * 0.05:
        return "square"
    return "landscape" if width > height else "portrait"


def _level(value: float, words: tuple[str, str, str], low: float, high: float) -> str:
    return words[0] if value < low else words[2] if value > high else words[1]


def describe(img: Image.Image) -> str:
    """A prompt-shaped summary of what the pixels measure; no subject, since nothing here can see one."""
    width, height = img.size
    grey = ImageStat.Stat(img.convert("L"))
    saturation = ImageStat.Stat(img.convert("RGB").convert("HSV").getchannel("S")).mean[0]
    brightness = _level(grey.mean[0], ("dark, low-key", "balanced", "bright, high-key"), 85, 170)
    contrast = _level(grey.stddev[0], ("low-contrast", "medium-contrast", "high-contrast"), 40, 70)
    colour = _level(saturation, ("muted, desaturated", "natural", "vivid, saturated"), 60, 140)
    return (f"A {_orientation(width, height)} {width}×{height} image, {brightness} exposure, {contrast}, "
            f"{colour} colours; dominant colours {_and(dominant_colours(img))}")


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
