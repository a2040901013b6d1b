"""The local editing engine on real photos: each operation does what it says, and only that."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from palett.services.generation import local_ops
from palett.services.generation.local_ops import segment

FIXTURES = Path(__file__).parents[1] / "fixtures"


def _photo(name: str) -> Image.Image:
    with Image.open(FIXTURES / f"{name}.png") as img:
        return img.convert("RGB")


def _px(img: Image.Image) -> np.ndarray:
    return np.asarray(img, dtype=np.int16)


def _psnr(a: Image.Image, b: Image.Image) -> float:
    mse = float(((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2).mean())
    return 10 * np.log10(255**2 / mse)


def _with_alpha(img: Image.Image) -> Image.Image:
    """img with a left quarter fully transparent and a soft ramp elsewhere."""
    w, h = img.size
    alpha = np.tile(np.linspace(60, 255, w, dtype=np.float32), (h, 1)).astype(np.uint8)
    alpha[:, : w // 4] = 0
    out = img.convert("RGBA")
    out.putalpha(Image.fromarray(alpha, "L"))
    return out


# --- background removal -------------------------------------------------------------------------------


def test_cutout_has_transparent_background_and_opaque_subject() -> None:
    cut = local_ops.remove_background(_photo("astronaut"))
    assert cut.mode == "RGBA" and cut.size == (512, 512)
    alpha = np.asarray(cut)[..., 3]
    assert (alpha < 10).mean() > 0.2 and (alpha > 245).mean() > 0.2  # both kinds, plenty of each
    centre = alpha[224:288, 224:288]
    assert (centre > 200).mean() > 0.95  # the astronaut
    for corner in (alpha[:32, :32], alpha[:32, -32:]):  # the studio wall behind her
        assert corner.mean() < 10
    # The colours are the photo's own: only alpha is added.
    assert np.array_equal(np.asarray(cut)[..., :3], np.asarray(_photo("astronaut")))


def test_cutout_keeps_input_transparency() -> None:
    cut = local_ops.remove_background(_with_alpha(_photo("coffee")))
    alpha = np.asarray(cut)[..., 3]
    assert alpha[:, :150].max() == 0


def test_model_path_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("U2NETP_PATH", raising=False)
    assert local_ops.model_path() == Path(segment.__file__).resolve().parents[4] / "models" / "u2netp.onnx"
    monkeypatch.setenv("U2NETP_PATH", str(tmp_path / "elsewhere.onnx"))
    assert local_ops.model_path() == tmp_path / "elsewhere.onnx"
    with pytest.raises(FileNotFoundError, match="fetch_u2netp"):
        local_ops.remove_background(_photo("chelsea"))


# --- background replacement ---------------------------------------------------------------------------


def test_replace_background_with_a_colour() -> None:
    out = local_ops.replace_background(_photo("astronaut"), color=(30, 120, 220))
    assert out.mode == "RGB" and out.size == (512, 512)
    pixels = _px(out)
    assert np.abs(pixels[:16, -16:] - np.array([30, 120, 220])).max() <= 2  # the wall is now the colour
    # The subject is still there (light matching nudges it, never repaints it).
    centre = np.abs(pixels[240:270, 240:270] - _px(_photo("astronaut"))[240:270, 240:270]).mean()
    assert centre < 25


def test_replace_background_with_a_picture() -> None:
    scene = local_ops.prompt_background("sunset over the ocean", 7, (300, 700))  # other aspect: cover-fit
    out = local_ops.replace_background(_photo("coffee"), background=scene)
    assert out.mode == "RGB" and out.size == (600, 400)
    assert np.abs(_px(out)[:20, :20] - _px(_photo("coffee"))[:20, :20]).mean() > 20  # the table is gone


def test_replace_background_takes_rgba_and_returns_rgb() -> None:
    out = local_ops.replace_background(_with_alpha(_photo("chelsea")), color=(255, 255, 255))
    assert out.mode == "RGB" and out.size == (451, 300)


def test_replace_background_needs_exactly_one_target() -> None:
    img = _photo("chelsea")
    with pytest.raises(ValueError, match="exactly one"):
        local_ops.replace_background(img)
    with pytest.raises(ValueError, match="exactly one"):
        local_ops.replace_background(img, color=(0, 0, 0), background=img)


def test_prompt_background_is_exact_size_and_deterministic() -> None:
    a = local_ops.prompt_background("misty forest", 3, (640, 360))
    b = local_ops.prompt_background("misty forest", 3, (640, 360))
    assert a.size == (640, 360) and a.mode == "RGB"
    assert np.array_equal(_px(a), _px(b))
    assert local_ops.prompt_background("misty forest", 3, (5000, 100)).size == (5000, 100)


# --- upscale ------------------------------------------------------------------------------------------


def test_upscale_by_factor_gives_exact_sizes() -> None:
    img = _photo("chelsea")
    assert local_ops.upscale(img, 4).size == (1804, 1200)
    two = local_ops.upscale(img, 2)
    assert two.size == (902, 600) and two.mode == "RGB"
    # Interpolation, not invention: shrunk back, it is the photo again.
    back = two.resize(img.size, Image.Resampling.LANCZOS)
    assert _psnr(back, img) > 30


def test_upscale_to_4k() -> None:
    img = _photo("chelsea")
    assert local_ops.upscale(img, long_side=4096).size == (4096, 2725)
    assert local_ops.upscale(img, long_side=3840).size == (3840, 2554)
    tall = img.transpose(Image.Transpose.ROTATE_90)
    assert local_ops.upscale(tall, long_side=3840).size == (2554, 3840)


def test_upscale_refuses_results_that_are_too_large() -> None:
    with pytest.raises(ValueError, match="limit is 8192"):
        local_ops.upscale(Image.new("RGB", (2100, 100)), 4)
    with pytest.raises(ValueError, match="limit is 1500"):
        local_ops.upscale(_photo("astronaut"), 4, max_side=1500)
    with pytest.raises(ValueError, match="exactly one"):
        local_ops.upscale(_photo("astronaut"))
    with pytest.raises(ValueError, match="exactly one"):
        local_ops.upscale(_photo("astronaut"), 2, long_side=4096)
    with pytest.raises(ValueError, match="already"):
        local_ops.upscale(_photo("astronaut"), long_side=400)


def test_upscale_keeps_alpha() -> None:
    out = local_ops.upscale(_with_alpha(_photo("coffee")), 2)
    assert out.mode == "RGBA" and out.size == (1200, 800)
    alpha = np.asarray(out)[..., 3]
    assert alpha[:, :290].max() == 0 and alpha[:, -10:].min() > 240


# --- inpaint ------------------------------------------------------------------------------------------


def _rect_mask(size: tuple[int, int], box: tuple[int, int, int, int]) -> Image.Image:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rectangle(box, fill=255)
    return mask


@pytest.mark.parametrize(
    ("name", "box"),
    [("chelsea", (150, 90, 290, 180)), ("coffee", (40, 40, 60, 300)), ("astronaut", (300, 60, 420, 200))],
)
def test_inpaint_changes_only_the_masked_pixels(name: str, box: tuple[int, int, int, int]) -> None:
    img = _photo(name)
    mask = _rect_mask(img.size, box)
    out = local_ops.inpaint(img, mask)
    assert out.size == img.size and out.mode == "RGB"
    inside = np.asarray(mask) >= 128
    before, after = np.asarray(img), np.asarray(out)
    assert np.array_equal(before[~inside], after[~inside])  # byte-identical outside
    assert (before[inside] != after[inside]).any(axis=-1).mean() > 0.9  # actually filled
    assert np.array_equal(np.asarray(local_ops.inpaint(img, mask)), after)  # repeatable


def test_inpaint_removes_a_scratch() -> None:
    img = _photo("astronaut")
    scratched = img.copy()
    ImageDraw.Draw(scratched).line((20, 480, 490, 30), fill=(255, 255, 255), width=3)
    mask = Image.new("L", img.size, 0)
    ImageDraw.Draw(mask).line((20, 480, 490, 30), fill=255, width=5)
    healed = local_ops.inpaint(scratched, mask)
    inside = np.asarray(mask) >= 128
    assert np.abs(_px(healed) - _px(img))[inside].mean() < np.abs(_px(scratched) - _px(img))[inside].mean() / 3


def test_inpaint_checks_the_mask_and_keeps_alpha() -> None:
    img = _photo("chelsea")
    with pytest.raises(ValueError, match="mask"):
        local_ops.inpaint(img, Image.new("L", (10, 10)))
    assert np.array_equal(_px(local_ops.inpaint(img, Image.new("L", img.size))), _px(img))
    rgba = _with_alpha(img)
    mask = _rect_mask(img.size, (200, 100, 260, 160))
    out = local_ops.inpaint(rgba, mask)
    assert out.mode == "RGBA"
    inside = np.asarray(mask) >= 128
    assert np.array_equal(np.asarray(out)[~inside], np.asarray(rgba)[~inside])


# --- outpaint -----------------------------------------------------------------------------------------


def test_outpaint_keeps_the_original_exactly_and_reaches_the_size() -> None:
    img = _photo("astronaut")
    out = local_ops.outpaint(img, left=128, top=64, right=128, bottom=64)
    assert out.size == (768, 640) and out.mode == "RGB"
    pixels = np.asarray(out)
    assert np.array_equal(pixels[64:576, 128:640], np.asarray(img))
    # The margins are filled from the photo, not left black: next to the edge they match its colours.
    margin = pixels[64:576, 120:128].astype(np.float32).mean(axis=(0, 1))
    edge = np.asarray(img)[:, :8].astype(np.float32).mean(axis=(0, 1))
    assert np.abs(margin - edge).max() < 20


def test_outpaint_to_an_aspect_ratio() -> None:
    img = _photo("coffee")
    pads = local_ops.padding_for_aspect(*img.size, "16:9")
    assert pads == (55, 0, 56, 0)
    out = local_ops.outpaint(img, left=pads[0], top=pads[1], right=pads[2], bottom=pads[3])
    assert out.size == (711, 400)
    assert np.array_equal(np.asarray(out)[:, 55:655], np.asarray(img))
    tall = local_ops.padding_for_aspect(*img.size, "9:16")
    out = local_ops.outpaint(img, left=tall[0], top=tall[1], right=tall[2], bottom=tall[3])
    assert out.size == (600, 1067)


def test_padding_for_aspect() -> None:
    assert local_ops.padding_for_aspect(1024, 1024, "16:9") == (398, 0, 398, 0)
    assert local_ops.padding_for_aspect(1536, 1024, "1:1") == (0, 256, 0, 256)
    assert local_ops.padding_for_aspect(1600, 900, "16:9") == (0, 0, 0, 0)
    assert local_ops.padding_for_aspect(1000, 1000, "4x5") == (0, 125, 0, 125)
    for bad in ("wide", "16:0", "-1:2", ""):
        with pytest.raises(ValueError):
            local_ops.padding_for_aspect(100, 100, bad)


def test_outpaint_limits_and_alpha() -> None:
    img = _photo("chelsea")
    with pytest.raises(ValueError, match="8192"):
        local_ops.outpaint(img, right=8000)
    with pytest.raises(ValueError):
        local_ops.outpaint(img, left=-1)
    rgba = _with_alpha(img)
    out = local_ops.outpaint(rgba, top=20, bottom=20)
    assert out.mode == "RGBA" and out.size == (451, 340)
    assert np.array_equal(np.asarray(out)[20:320], np.asarray(rgba))


# --- styles -------------------------------------------------------------------------------------------


def test_styles_are_listed() -> None:
    assert 6 <= len(local_ops.STYLES) <= 8
    assert all(isinstance(label, str) and label for label in local_ops.STYLES.values())


@pytest.mark.parametrize("style", list(local_ops.STYLES))
def test_each_style_changes_the_image_and_keeps_its_size(style: str) -> None:
    img = _photo("chelsea")
    out = local_ops.stylize(img, style)
    assert out.size == img.size and out.mode == "RGB"
    assert np.abs(_px(out) - _px(img)).mean() > 4


def test_style_keeps_alpha_and_rejects_unknown_styles() -> None:
    rgba = _with_alpha(_photo("coffee"))
    out = local_ops.stylize(rgba, "watercolor")
    assert out.mode == "RGBA" and np.array_equal(np.asarray(out)[..., 3], np.asarray(rgba)[..., 3])
    with pytest.raises(ValueError, match="Unknown style"):
        local_ops.stylize(rgba, "van-gogh")


def test_style_from_reference_moves_colours_towards_the_reference() -> None:
    img, reference = _photo("astronaut"), _photo("coffee")
    out = local_ops.style_from_reference(img, reference)
    assert out.size == img.size and out.mode == "RGB"
    target = _px(reference).reshape(-1, 3).mean(axis=0)
    before = np.abs(_px(img).reshape(-1, 3).mean(axis=0) - target).sum()
    after = np.abs(_px(out).reshape(-1, 3).mean(axis=0) - target).sum()
    assert after < before / 2
    assert np.array_equal(_px(local_ops.style_from_reference(img, reference, strength=0)), _px(img))


# --- restoration --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["astronaut", "coffee"])
def test_restore_improves_a_degraded_photo(name: str) -> None:
    original = _photo(name)
    pixels = np.asarray(original, np.float32)
    noise = np.random.default_rng(0).normal(0, 12, pixels.shape)
    faded = pixels * 0.6 + 60 + np.array([25, 5, -20], np.float32)  # low contrast, warm cast
    degraded = Image.fromarray(np.clip(faded + noise, 0, 255).astype(np.uint8), "RGB")
    restored = local_ops.restore(degraded)
    assert restored.size == original.size and restored.mode == "RGB"
    assert _psnr(restored, original) > _psnr(degraded, original) + 3


def test_restore_strength_and_alpha() -> None:
    rgba = _with_alpha(_photo("chelsea"))
    assert np.array_equal(np.asarray(local_ops.restore(rgba, strength=0)), np.asarray(rgba))
    out = local_ops.restore(rgba, strength=0.5)
    assert out.mode == "RGBA" and np.array_equal(np.asarray(out)[..., 3], np.asarray(rgba)[..., 3])
    with pytest.raises(ValueError):
        local_ops.restore(rgba, strength=2)
