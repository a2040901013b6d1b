"""The local prompt helper: a deterministic template and measured facts, never a guess at the content."""

from __future__ import annotations

from PIL import Image, ImageDraw

from palett.services.generation.local_ops import prompt_helper


def test_enhance_keeps_the_prompt_and_adds_the_same_phrases_for_the_same_prompt():
    first = prompt_helper.enhance("  A red   fox. ")
    assert first.startswith("A red fox, ") and prompt_helper.enhance("a red fox") == "a" + first[1:]
    for phrases in (prompt_helper.LIGHTING, prompt_helper.COMPOSITION, prompt_helper.STYLE, prompt_helper.FINISH):
        assert sum(p in first for p in phrases) == 1
    assert prompt_helper.enhance("a lighthouse") != prompt_helper.enhance("a red fox")


def test_describe_says_what_the_pixels_measure():
    dark = Image.new("RGB", (300, 600), (15, 20, 90))
    ImageDraw.Draw(dark).rectangle((0, 0, 300, 150), fill=(240, 200, 40))
    text = prompt_helper.describe(dark)
    assert text.startswith("A portrait 300×600 image, dark, low-key exposure")
    assert "navy" in text and "yellow" in text
    assert prompt_helper.describe(Image.new("RGB", (512, 500), (250, 250, 250))).startswith(
        "A square 512×500 image, bright, high-key exposure, low-contrast, muted, desaturated colours; dominant "
        "colours white")
