"""Render the style picker's thumbnails (assets/styles/<style>.webp) with the local engine itself.

Run after changing the local styles: PYTHONPATH=. .venv/bin/python scripts/make_style_thumbs.py
"""

from pathlib import Path

from PIL import Image

from palett.services.generation.local_ops import stylize
from palett.services.generation.local_ops.style import STYLES

ROOT = Path(__file__).resolve().parents[1]

source = Image.open(ROOT / "tests/fixtures/chelsea.png").convert("RGB").crop((75, 0, 375, 300)).resize((160, 160))
for key in STYLES:
    stylize(source, key).save(ROOT / "assets/styles" / f"{key}.webp", quality=80)
    print("wrote", key)
