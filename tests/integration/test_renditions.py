"""Display renditions: a ≤ 1600 px WebP made beside the thumbnail, shown by big views (image page, lightbox,
share page) while downloads keep the original, and removed with the image (S3: tests/integration/test_storage_s3.py).
"""

from __future__ import annotations

import asyncio
import io

import numpy as np
from fastapi import FastAPI
from PIL import Image
from sqlmodel import select
from starlette.testclient import TestClient

from palett.api import library_routes
from palett.models import GeneratedImage, User
from palett.services.accounts import users as accounts
from palett.services.generation import catalog, jobs, pipeline
from palett.services.generation.submit import write_job
from palett.services.library import gallery
from palett.services.media import images, renditions, uploads
from palett.services.media.storage import get_storage
from palett.state import explore as explore_state
from palett.state.gallery import grid as gallery_state
from palett.state.jobs import _card as as_card  # the studio's job card, as its state builds it
from palett.state.lightbox import flatten


def generate(db, email: str = "maker@example.com") -> tuple[int, int]:
    """A local-preview image made through the whole pipeline: (user id, image id)."""
    with db() as s:
        user = accounts.create_user(s, email=email, verified=True)
        job = write_job(s, user=s.get(User, user.id),
                        params={"model": "local-preview", "prompt": "a quiet harbour", "size": "square"})
    asyncio.run(pipeline.execute(job.id))
    with db() as s:
        (image_id,) = s.exec(select(GeneratedImage.id).where(GeneratedImage.user_id == user.id)).all()
    return user.id, image_id


def photo(width: int, height: int) -> bytes:
    """A camera-like JPEG (noise over a gradient: PNG cannot shrink it)."""
    rng = np.random.default_rng(7)
    ramp = np.linspace(0, 200, width, dtype=np.float32)[None, :, None]
    pixels = np.clip(ramp + rng.normal(0, 25, (height, width, 3)), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buf, "JPEG", quality=90)
    return buf.getvalue()


def test_a_generated_image_has_a_webp_rendition_that_big_views_show_and_downloads_skip(db):
    user_id, image_id = generate(db)
    storage = get_storage()
    with db() as s:
        row = s.get(GeneratedImage, image_id)
        detail = gallery.detail(s, user_id, image_id)
        (tile,) = gallery.page(s, user_id).items
        (job,) = jobs.recent(s, user_id)
    assert row.display_url == renditions.display_key(row.image_url)
    shown, original = storage.get(row.display_url), storage.get(row.image_url)
    picture = Image.open(io.BytesIO(shown))
    assert picture.format == "WEBP" and picture.size == (row.width, row.height) and max(picture.size) <= 1600
    assert len(shown) * 4 < len(original), (len(shown), len(original))  # the point: a fraction of the PNG
    # The image page shows the rendition fitted and the original at 100%; the download is the original PNG.
    assert f"/{row.display_url}?" in detail.display and f"/{row.image_url}?" in detail.url
    assert f"/{row.image_url}?" in detail.download and "dl=" in detail.download
    # Every lightbox (gallery, studio) is fed the rendition to show and the original to zoom into.
    box = gallery_state.as_lightbox_item(gallery_state.as_tile(tile))
    assert f"/{row.display_url}?" in box["display"] and f"/{row.image_url}?" in box["url"]
    (studio_box,) = flatten([as_card(job)])
    assert f"/{row.display_url}?" in studio_box["display"] and f"/{row.image_url}?" in studio_box["url"]
    assert f"/{row.image_url}?" in studio_box["download"]


def test_public_views_and_the_share_page_show_the_rendition(db):
    user_id, image_id = generate(db)
    with db() as s:
        token = gallery.set_public(s, user_id, [image_id], True)[0].share_token
        row = s.get(GeneratedImage, image_id)
        (tile,) = gallery.explore(s).items
        shared = gallery.by_share_token(s, token)
    box = explore_state.as_lightbox_item(explore_state.as_tile(tile))
    assert f"/{row.display_url}?" in box["display"] and f"/{row.image_url}?" in box["url"]
    assert f"/{row.display_url}?" in shared.display
    app = FastAPI()
    app.include_router(library_routes.share_router)
    with TestClient(app) as client:
        assert f'src="http://localhost:3000/api/share/{token}/image?size=display"' in client.get(
            f"/api/share/{token}").text
        display = client.get(f"/api/share/{token}/image?size=display")
        assert display.headers["content-type"] == "image/webp" and display.content == get_storage().get(
            row.display_url)
        assert client.get(f"/api/share/{token}/image").headers["content-type"] == "image/png"  # og:image, link


def test_a_big_upload_gets_a_1600_px_rendition_and_old_rows_fall_back_to_the_original(db):
    with db() as s:
        user = accounts.create_user(s, email="camera@example.com", verified=True)
        image = uploads.accept_upload(s, user_id=user.id, data=photo(2400, 1800), filename="IMG_0001.JPG")
        legacy = GeneratedImage(user_id=user.id, image_url=image.image_url, thumbnail_url=image.thumbnail_url)
        s.add(legacy)
        s.flush()
        legacy_detail = gallery.detail(s, user.id, legacy.id)
    picture = Image.open(io.BytesIO(get_storage().get(image.display_url)))
    assert picture.format == "WEBP" and picture.size == (1600, 1200)
    assert f"/{image.image_url}?" in legacy_detail.display  # no rendition: the original


def test_no_rendition_unless_it_is_smaller_than_the_original_file():
    flat = Image.new("RGB", (800, 600), (40, 90, 200))
    webp = images.display_webp_image(flat, len(images.to_png(flat, {})))
    assert webp is not None and Image.open(io.BytesIO(webp)).size == (800, 600)  # never upscaled
    assert images.display_webp_image(flat, len(webp)) is None
    assert renditions.make(flat, len(webp)).display is None


def test_deleting_an_image_or_an_account_removes_the_rendition(db):
    storage = get_storage()
    user_id, image_id = generate(db)
    with db() as s:
        row = s.get(GeneratedImage, image_id)
        keys = renditions.stored_keys(row)
        assert len(keys) == 3 and all(storage.exists(k) for k in keys)
        gallery.delete_images(s, user_id, [image_id])
    assert not any(storage.exists(k) for k in keys)

    other_id, other_image = generate(db, "other@example.com")
    with db() as s:
        keys = renditions.stored_keys(s.get(GeneratedImage, other_image))
        accounts.delete_account(s, s.get(User, other_id), confirmation="DELETE")
    assert not any(storage.exists(k) for k in keys)


def test_a_job_whose_results_are_dropped_leaves_no_rendition(db):
    """complete() forgets what it stored when the job ended meanwhile (cancelled, timed out) or a later
    output failed: the rendition goes with the original and the thumbnail."""
    storage = get_storage()
    pixels = np.random.default_rng(3).integers(0, 255, (1200, 1800, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buf, "PNG")
    params = catalog.get("local-preview").parse({"prompt": "x", "model": "local-preview"})
    stored = pipeline._store(storage, 5, buf.getvalue(), {"Software": "test"}, params)
    assert stored["display"] == renditions.display_key(stored["key"]) and storage.exists(stored["display"])
    pipeline._forget(storage, [stored])
    assert not any(storage.exists(stored[k]) for k in ("key", "thumb", "display"))
