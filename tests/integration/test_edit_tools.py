"""Every editing tool through the pipeline: exact payloads on Fal (emulator) and real results locally."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlmodel import select

from palett.models import GeneratedImage, Job, User
from palett.services.accounts import users as accounts
from palett.services.common.errors import UserError
from palett.services.generation import pipeline
from palett.services.generation.submit import write_job
from palett.services.media import images
from palett.services.media.storage import get_storage, new_key
from tests.integration.test_pipeline_local import balance_matches_ledger

FIXTURES = Path(__file__).parents[1] / "fixtures"


def stored_image(db, user_id: int, name: str = "astronaut.png") -> GeneratedImage:
    """An image in the user's library, as an upload would leave it."""
    img = Image.open(FIXTURES / name).convert("RGB")
    key = new_key(user_id, "png")
    get_storage().put(key, images.to_png(img, {}), "image/png")
    with db() as s:
        row = GeneratedImage(user_id=user_id, image_url=key, width=img.width, height=img.height, operation="upload")
        s.add(row)
        s.flush()
        return row


def stored_mask(user_id: int, size: tuple[int, int], box: tuple[int, int, int, int]) -> str:
    mask = Image.new("L", size, 0)
    mask.paste(255, box)
    key = new_key(user_id, "png")
    get_storage().put(key, images.to_png(mask, {}), "image/png")
    return key


def run(db, user_id: int, params: dict) -> Job:
    with db() as s:
        job = write_job(s, user=s.get(User, user_id), params=params)
    asyncio.run(pipeline.execute(job.id))
    with db() as s:
        return s.get(Job, job.id)


def result_of(db, job: Job) -> Image.Image:
    with db() as s:
        row = s.exec(select(GeneratedImage).where(GeneratedImage.job_id == job.id)).one()
        assert row.operation == job.operation and row.original_image_url
        return Image.open(io.BytesIO(get_storage().get(row.image_url)))


def uploaded_image(fal, url: str) -> Image.Image:
    """An input the pipeline uploaded to (emulated) Fal storage through fal_client: never a data URI."""
    assert url.startswith(f"{fal.base_url}/files/"), url
    name = url.rsplit("/", 1)[1]
    assert any(upload[0] == name and upload[1] == "image/png" for upload in fal.uploads)
    return Image.open(io.BytesIO(fal.image(name)))


@pytest.fixture
def user_id(db) -> int:
    with db() as s:
        user = accounts.create_user(s, email="editor@example.com", verified=True)
        from palett.services.billing import credits

        credits.apply(s, user_id=user.id, delta=40, kind=credits.Kind.admin_adjust, idempotency_key="more")
        return user.id


# ---- Fal: each endpoint receives exactly its schema, our images uploaded to Fal's storage ---------------


FAL_CASES = {
    "flux-i2i": ("fal-ai/flux/dev/image-to-image", {"prompt": "as a comic", "strength": 0.7, "seed": 3},
                 {"prompt": "as a comic", "strength": 0.7, "num_inference_steps": 40, "guidance_scale": 3.5,
                  "num_images": 1, "enable_safety_checker": True, "output_format": "png", "seed": 3}),
    "birefnet": ("fal-ai/birefnet/v2", {}, {"model": "General Use (Light)", "operating_resolution": "1024x1024",
                                            "output_format": "png", "refine_foreground": True}),
    "bria-replace": ("fal-ai/bria/background/replace", {"mode": "prompt", "prompt": "a beach at dawn"},
                     {"prompt": "a beach at dawn", "refine_prompt": True, "fast": False, "num_images": 1}),
    "esrgan": ("fal-ai/esrgan", {"mode": "4x"}, {"scale": 4, "model": "RealESRGAN_x4plus", "output_format": "png"}),
    "flux-style": ("fal-ai/flux/dev/image-to-image", {"style": "oil", "strength": 0.5},
                   {"prompt": "the same scene as an oil painting with visible brush strokes, rich impasto",
                    "strength": 0.5, "num_inference_steps": 40, "guidance_scale": 3.5, "num_images": 1,
                    "output_format": "png"}),
    "codeformer": ("fal-ai/codeformer", {"strength": 0.6}, {"fidelity": 0.7, "upscale_factor": 1,
                                                             "face_upscale": True, "only_center_face": False}),
}


@pytest.mark.parametrize("model", list(FAL_CASES))
def test_fal_edit_payloads(db, fal_on, user_id, model):
    endpoint, form, expected = FAL_CASES[model]
    source = stored_image(db, user_id)
    job = run(db, user_id, {"model": model, "image_id": source.id, **form})
    assert job.status == "succeeded", job.error
    (record,) = fal_on.submits(endpoint)
    sent = dict(record.input)
    assert uploaded_image(fal_on, sent.pop("image_url")).size == (512, 512)
    assert sent == expected
    result_of(db, job)


def test_fal_inpaint_sends_a_mask_the_size_of_the_image(db, fal_on, user_id):
    source = stored_image(db, user_id, "coffee.png")
    mask = stored_mask(user_id, (600, 400), (100, 100, 200, 200))
    job = run(db, user_id, {"model": "flux-fill", "image_id": source.id, "mask_key": mask, "prompt": "a croissant"})
    assert job.status == "succeeded", job.error
    (record,) = fal_on.submits("fal-ai/flux-pro/v1/fill")
    mask, image = uploaded_image(fal_on, record.input["mask_url"]), uploaded_image(fal_on, record.input["image_url"])
    assert mask.size == image.size == (600, 400)
    assert record.input["prompt"] == "a croissant"


def test_fal_outpaint_sends_a_padded_canvas_and_its_mask(db, fal_on, user_id):
    source = stored_image(db, user_id, "chelsea.png")  # 451 x 300
    job = run(db, user_id, {"model": "flux-fill-outpaint", "image_id": source.id, "left": 50, "right": 50,
                            "top": 10})
    assert job.status == "succeeded", job.error
    (record,) = fal_on.submits("fal-ai/flux-pro/v1/fill")
    canvas, mask = uploaded_image(fal_on, record.input["image_url"]), uploaded_image(fal_on, record.input["mask_url"])
    assert canvas.size == mask.size == (551, 310)
    m = np.asarray(mask)
    assert m[10:310, 50:501].max() == 0 and m[:, :50].min() == 255 and m[:10, :].min() == 255


def test_an_input_fal_storage_refuses_fails_the_job_plainly_and_refunds(db, fal_on, user_id):
    fal_on.accepted_keys = {"another-key:secret"}  # our key is refused, so is its upload token
    source = stored_image(db, user_id)
    job = run(db, user_id, {"model": "birefnet", "image_id": source.id})
    assert job.status == "failed" and job.error == "Your image could not be sent to Fal. Try again."
    assert not fal_on.submits()  # nothing was submitted without its input
    assert balance_matches_ledger(db, user_id) == 50


def test_fal_restoration_gives_back_the_photo_at_its_own_size(db, fal_on, user_id):
    """CodeFormer enlarges 2x unless told otherwise (upscale_factor, default 2 in its schema)."""
    source = stored_image(db, user_id, "coffee.png")  # 600 x 400
    job = run(db, user_id, {"model": "codeformer", "image_id": source.id})
    assert job.status == "succeeded", job.error
    assert result_of(db, job).size == (600, 400)


def test_fal_to_4k_is_delivered_at_exactly_4k(db, fal_on, user_id):
    source = stored_image(db, user_id, "coffee.png")
    job = run(db, user_id, {"model": "esrgan", "image_id": source.id, "mode": "4k", "long_side": 3840})
    assert job.status == "succeeded", job.error
    assert result_of(db, job).size == (3840, 2560)


# ---- local engine: results are real and honest ---------------------------------------------------------


def test_local_background_removal_gives_a_transparent_cut_out(db, user_id):
    source = stored_image(db, user_id)
    job = run(db, user_id, {"model": "local-u2netp", "image_id": source.id})
    assert job.status == "succeeded", job.error
    out = result_of(db, job)
    assert out.mode == "RGBA" and out.size == (512, 512)
    alpha = np.asarray(out)[..., 3]
    assert alpha.min() == 0 and alpha.max() == 255
    assert "not AI" in out.text["Software"]
    assert balance_matches_ledger(db, user_id) == 49


def test_local_upscale_to_4k(db, user_id):
    source = stored_image(db, user_id, "coffee.png")
    job = run(db, user_id, {"model": "local-lanczos", "image_id": source.id, "mode": "4k"})
    assert result_of(db, job).size == (4096, 2731)


def test_too_large_an_upscale_is_refused_before_charging(db, user_id):
    source = stored_image(db, user_id, "coffee.png")  # 4x of a 600 px image is fine; 4096 long side x4 is not
    with db() as s:
        big = GeneratedImage(user_id=user_id, image_url=source.image_url, width=4096, height=2731)
        s.add(big)
        s.flush()
        big_id = big.id
    with pytest.raises(UserError) as err, db() as s:
        write_job(s, user=s.get(User, user_id), params={"model": "local-lanczos", "image_id": big_id,
                                                               "mode": "4x"})
    assert err.value.code == "too_large_output"
    assert balance_matches_ledger(db, user_id) == 50


def test_local_inpaint_changes_only_the_masked_pixels(db, user_id):
    source = stored_image(db, user_id, "coffee.png")
    mask = stored_mask(user_id, (600, 400), (250, 150, 330, 230))
    job = run(db, user_id, {"model": "local-inpaint", "image_id": source.id, "mask_key": mask})
    assert job.status == "succeeded", job.error
    before = np.asarray(Image.open(FIXTURES / "coffee.png").convert("RGB")).astype(int)
    after = np.asarray(result_of(db, job).convert("RGB")).astype(int)
    inside = np.zeros(before.shape[:2], bool)
    inside[150:230, 250:330] = True
    assert (before[~inside] == after[~inside]).all()
    assert np.abs(before[inside] - after[inside]).mean() > 1


def test_local_outpaint_keeps_the_original_pixels(db, user_id):
    source = stored_image(db, user_id, "chelsea.png")
    job = run(db, user_id, {"model": "local-outpaint", "image_id": source.id, "left": 40, "bottom": 60})
    out = np.asarray(result_of(db, job).convert("RGB"))
    assert out.shape == (360, 491, 3)
    original = np.asarray(Image.open(FIXTURES / "chelsea.png").convert("RGB"))
    assert (out[0:300, 40:491] == original).all()


@pytest.mark.parametrize(("model", "form"), [
    ("local-style", {"style": "pencil"}), ("local-restore", {"strength": 0.8}),
    ("local-replace", {"mode": "color", "color": "#1e293b"}), ("local-i2i", {"prompt": "neon night", "strength": 0.6}),
])
def test_local_tools_produce_a_changed_image_of_the_same_size(db, user_id, model, form):
    source = stored_image(db, user_id)
    job = run(db, user_id, {"model": model, "image_id": source.id, **form})
    assert job.status == "succeeded", job.error
    out = np.asarray(result_of(db, job).convert("RGB")).astype(int)
    original = np.asarray(Image.open(FIXTURES / "astronaut.png").convert("RGB")).astype(int)
    assert out.shape == original.shape and np.abs(out - original).mean() > 2


def test_another_users_image_cannot_be_edited(db, user_id):
    with db() as s:
        other = accounts.create_user(s, email="intruder@example.com", verified=True).id
    source = stored_image(db, user_id)
    with pytest.raises(UserError) as err, db() as s:
        write_job(s, user=s.get(User, other), params={"model": "local-u2netp", "image_id": source.id})
    assert err.value.code == "image_not_found"
    mask = stored_mask(user_id, (512, 512), (0, 0, 10, 10))
    mine = stored_image(db, other)
    with pytest.raises(UserError) as err, db() as s:
        write_job(s, user=s.get(User, other), params={"model": "local-inpaint", "image_id": mine.id,
                                                             "mask_key": mask})
    assert err.value.code == "image_not_found"


def test_unsupported_modes_are_refused(db, fal_on, user_id):
    source = stored_image(db, user_id)
    with pytest.raises(UserError) as err, db() as s:
        write_job(s, user=s.get(User, user_id), params={"model": "bria-replace", "image_id": source.id,
                                                               "mode": "color"})
    assert err.value.code == "unsupported"
