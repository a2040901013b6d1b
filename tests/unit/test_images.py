"""Decoding images safely, labelling PNGs and making thumbnails."""

from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile, PngImagePlugin

from palett.services.media.images import open_safely, thumbnail_webp, to_png

FIXTURES = Path(__file__).parents[1] / "fixtures"


def _encode(img: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A real 1x1 PNG whose IHDR (with a valid CRC) claims another size: a bomb's header, costing ~70 bytes."""
    data = bytearray(_encode(Image.new("RGB", (1, 1)), "PNG"))
    ihdr = data.index(b"IHDR")
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr : ihdr + 17]))
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", crc)
    return bytes(data)


@pytest.fixture
def photo() -> Image.Image:
    with Image.open(FIXTURES / "chelsea.png") as img:
        return img.convert("RGB")


def test_decompression_bomb_is_rejected_from_the_header(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = _png_claiming(8000, 8000)  # 64 MP, under Pillow's own limit: our cap must catch it
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self))
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"8,000 × 8,000 pixels; the limit is 16 megapixels"):
        open_safely(bomb, max_pixels=16_000_000)
    assert time.perf_counter() - start < 0.1
    assert decoded == []  # no pixel was decoded


def test_giant_bomb_beyond_pillows_limit_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="too many pixels"):
        open_safely(_png_claiming(100_000, 100_000), max_pixels=16_000_000)


def test_truncated_jpeg_is_rejected(photo: Image.Image) -> None:
    jpeg = _encode(photo, "JPEG", quality=90)
    with pytest.raises(ValueError, match="damaged or incomplete"):
        open_safely(jpeg[: len(jpeg) * 2 // 3], max_pixels=10_000_000)


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_formats_are_rejected(photo: Image.Image, fmt: str) -> None:
    with pytest.raises(ValueError, match="PNG, JPEG or WebP"):
        open_safely(_encode(photo, fmt), max_pixels=10_000_000)


def test_garbage_is_rejected() -> None:
    with pytest.raises(ValueError):
        open_safely(b"<svg xmlns='http://www.w3.org/2000/svg'/>", max_pixels=10_000_000)


def test_animated_webp_is_rejected() -> None:
    frames = [Image.new("RGB", (8, 8), c) for c in ("red", "blue")]
    data = _encode(frames[0], "WEBP", save_all=True, append_images=frames[1:])
    with pytest.raises(ValueError, match="Animated"):
        open_safely(data, max_pixels=10_000)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_allowed_formats_open_and_keep_their_format(photo: Image.Image, fmt: str) -> None:
    img = open_safely(_encode(photo, fmt), max_pixels=10_000_000)
    assert img.format == fmt
    assert img.size == photo.size
    assert img.mode == "RGB"


def test_exif_orientation_is_applied() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    data = _encode(Image.new("RGB", (40, 20), "red"), "JPEG", exif=exif.tobytes())
    img = open_safely(data, max_pixels=10_000)
    assert img.size == (20, 40)


def test_palette_transparency_and_16_bit_grey_become_8_bit() -> None:
    pal = Image.new("P", (4, 4), 0)
    assert open_safely(_encode(pal, "PNG", transparency=0), 10_000).mode == "RGBA"
    grey16 = Image.new("I;16", (4, 4), 65535)
    img = open_safely(_encode(grey16, "PNG"), 10_000)
    assert img.mode == "L" and img.getpixel((0, 0)) == 255


def test_png_text_chunks_are_written_and_readable(photo: Image.Image) -> None:
    recipe = '{"prompt": "a café at dusk 🌆", "seed": 7, "pad": "' + "x" * 2000 + '"}'
    png = to_png(photo, {"Software": "Palett local preview (not AI)", "palett:recipe": recipe})
    with Image.open(io.BytesIO(png)) as img:
        assert isinstance(img, PngImagePlugin.PngImageFile)
        assert img.text["Software"] == "Palett local preview (not AI)"
        assert img.text["palett:recipe"] == recipe
        assert img.size == photo.size


def test_png_keeps_no_foreign_metadata(photo: Image.Image) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "someone else")
    info.add_text("parameters", "provider secrets")
    with Image.open(io.BytesIO(_encode(photo, "PNG", pnginfo=info, icc_profile=b"fake-icc" * 20))) as source:
        source.load()
        png = to_png(source, {"Software": "Palett"})
    with Image.open(io.BytesIO(png)) as img:
        assert isinstance(img, PngImagePlugin.PngImageFile)
        assert img.text == {"Software": "Palett"}
        assert "icc_profile" not in img.info


def test_png_text_key_must_be_valid(photo: Image.Image) -> None:
    with pytest.raises(ValueError):
        to_png(photo, {"": "x"})
    with pytest.raises(ValueError):
        to_png(photo, {"k" * 80: "x"})


def test_png_keeps_transparency() -> None:
    img = Image.new("RGBA", (10, 10), (255, 0, 0, 0))
    with Image.open(io.BytesIO(to_png(img, {}))) as out:
        assert out.mode == "RGBA" and out.getchannel("A").getextrema() == (0, 0)


def test_thumbnail_is_webp_within_384_px_and_keeps_aspect(photo: Image.Image) -> None:
    wide = photo.resize((1200, 600))
    thumb, width, height = thumbnail_webp(_encode(wide, "PNG"))
    assert (width, height) == (384, 192)
    with Image.open(io.BytesIO(thumb)) as img:
        assert img.format == "WEBP"
        assert img.size == (384, 192)


def test_thumbnail_keeps_alpha_and_never_upscales() -> None:
    small = Image.new("RGBA", (100, 50), (0, 128, 255, 100))
    thumb, width, height = thumbnail_webp(_encode(small, "PNG"))
    assert (width, height) == (100, 50)
    with Image.open(io.BytesIO(thumb)) as img:
        assert img.mode == "RGBA"
        alpha = np.asarray(img.getchannel("A"))
        assert 98 <= alpha.min() <= alpha.max() <= 102


def test_thumbnail_of_a_tall_image(photo: Image.Image) -> None:
    _, width, height = thumbnail_webp(_encode(photo.resize((500, 1000)), "JPEG"), size=256)
    assert (width, height) == (128, 256)


def test_relabel_png_keeps_pixels_drops_metadata_and_adds_our_label():
    import io as _io

    from PIL import Image as _Image
    from PIL import PngImagePlugin

    from palett.services.media import images as _images

    src = _Image.new("RGBA", (64, 48), (10, 200, 30, 128))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "gps 48.85,2.35")
    buf = _io.BytesIO()
    src.save(buf, "PNG", pnginfo=info, icc_profile=b"\0" * 16)
    label = {"Software": "Palett local engine (not AI)", "palett:model": "FLUX — dev"}
    out = _images.relabel_png(buf.getvalue(), label)
    assert out is not None
    back = _Image.open(_io.BytesIO(out))
    back.load()
    assert back.text == label
    assert "icc_profile" not in back.info
    assert back.tobytes() == src.tobytes()
    assert _images.relabel_png(b"\xff\xd8\xff not a png", {}) is None
    frames = _io.BytesIO()
    src.save(frames, "PNG", save_all=True, append_images=[src.copy()])
    assert _images.relabel_png(frames.getvalue(), {}) is None  # animated: re-encoded the safe way
