"""Render the empty studio's example thumbnails (assets/examples/<key>.webp) with the local engine.

Run after changing the examples: PYTHONPATH=. .venv/bin/python scripts/make_example_thumbs.py
"""

from pathlib import Path

from palett.components.examples import EXAMPLES
from palett.services.generation.local_ops.engine import render

ROOT = Path(__file__).resolve().parents[1]

for example in EXAMPLES:
    render(example.prompt, example.seed, 320, 320).resize((160, 160)).save(
        ROOT / "assets/examples" / f"{example.key}.webp", quality=80)
    print("wrote", example.key)
