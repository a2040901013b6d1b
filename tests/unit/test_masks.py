"""Masks from the editor: only a PNG of the image's exact size with something painted is stored, as black/white."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image, ImageDraw

from palett.services.common.errors import UserError
from palett.services.media.masks import store_mask
from palett.services.media.storage import get_storage


def data_url(img: Image.Image, fmt: str = "PNG") -> str:
    out = io.BytesIO()
    img.save(out, fmt)
    return f"data:image/{fmt.lower()};base64," + base64.b64encode(out.getvalue()).decode()


def painted(size: tuple[int, int] = (64, 48)) -> Image.Image:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).ellipse((10, 10, 30, 30), fill=200)  # soft grey strokes become pure white
    return mask


def code(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(UserError) as err:
        call()
    return err.value.code


def test_a_painted_mask_is_stored_black_and_white_under_the_users_prefix():
    key = store_mask(7, data_url(painted()), (64, 48))
    assert key.startswith("u/7/")
    stored = Image.open(io.BytesIO(get_storage().get(key)))
    assert stored.size == (64, 48) and set(stored.getdata()) == {0, 255}


def test_masks_that_do_not_fit_the_image_are_refused():
    assert code(lambda: store_mask(7, data_url(painted((32, 32))), (64, 48))) == "mask_invalid"
    assert code(lambda: store_mask(7, data_url(painted(), "JPEG"), (64, 48))) == "mask_invalid"
    assert code(lambda: store_mask(7, "data:image/png;base64,not-base64!", (64, 48))) == "mask_invalid"
    assert code(lambda: store_mask(7, data_url(Image.new("L", (64, 48), 0)), (64, 48))) == "mask_empty"


def test_strokes_on_a_transparent_canvas_count_as_painted():
    canvas = Image.new("RGBA", (64, 48), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).rectangle((5, 5, 20, 20), fill=(255, 0, 0, 255))
    stored = Image.open(io.BytesIO(get_storage().get(store_mask(7, data_url(canvas), (64, 48)))))
    assert stored.getpixel((10, 10)) == 255 and stored.getpixel((40, 40)) == 0
