"""Reference images for text to image: Ideogram's style references and FLUX Ultra's subject image on the Fal
emulator, the local engine's colour/tone transfer, and the checks (your own images only, models that take them)."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image, ImageStat
from sqlmodel import select

from palett.models import GeneratedImage, Job, User
from palett.services.accounts import users as accounts
from palett.services.common.errors import UserError
from palett.services.generation import pipeline
from palett.services.generation.submit import write_job
from palett.services.media import uploads
from palett.services.media.storage import get_storage


def new_user(db, email: str = "refs@example.com") -> int:
    with db() as s:
        return accounts.create_user(s, email=email, verified=True).id


def upload(db, user_id: int, colour: tuple[int, int, int]) -> int:
    buf = io.BytesIO()
    Image.new("RGB", (200, 200), colour).save(buf, "PNG")
    with db() as s:
        return uploads.accept_upload(s, user_id=user_id, data=buf.getvalue(), filename="ref.png").id


def make(db, user_id: int, **params) -> Job:
    with db() as s:
        job = write_job(s, user=s.get(User, user_id), params={"prompt": "a harbour", "num_images": 1, **params})
    asyncio.run(pipeline.execute(job.id))
    with db() as s:
        return s.get(Job, job.id)


def mean_colour(db, job_id: int) -> list[float]:
    with db() as s:
        image = s.exec(select(GeneratedImage).where(GeneratedImage.job_id == job_id)).one()
    return ImageStat.Stat(Image.open(io.BytesIO(get_storage().get(image.image_url))).convert("RGB")).mean


def test_ideogram_gets_the_style_references_and_ultra_the_subject(db, fal_on):
    user_id = new_user(db)
    refs = [upload(db, user_id, (200, 40, 40)), upload(db, user_id, (40, 40, 200))]
    job = make(db, user_id, model="ideogram3", style_refs=refs)
    assert job.status == "succeeded", job.error
    (record,) = fal_on.submits("fal-ai/ideogram/v3")
    assert len(record.input["image_urls"]) == 2
    assert fal_on.job(record.request_id).invalid == []  # the published schema takes them
    subject = upload(db, user_id, (30, 160, 60))
    job = make(db, user_id, model="flux-pro-ultra", size="1:1", subject_ref=subject)
    assert job.status == "succeeded", job.error
    (record,) = fal_on.submits("fal-ai/flux-pro/v1.1-ultra")
    assert record.input["image_url"].startswith(fal_on.base_url) and record.input["image_prompt_strength"] == 0.5
    assert len(fal_on.uploads) == 3  # each reference went to Fal's storage once, as our cleaned copy


def test_the_local_engine_takes_the_colour_and_tone_of_the_references(db):
    user_id = new_user(db)
    plain = make(db, user_id, model="local-preview", size="square", seed=5)
    red = upload(db, user_id, (220, 30, 30))
    toned = make(db, user_id, model="local-preview", size="square", seed=5, style_refs=[red])
    assert toned.status == "succeeded", toned.error
    before, after = mean_colour(db, plain.id), mean_colour(db, toned.id)
    assert after[0] - after[2] > before[0] - before[2] + 40  # much redder than the same seed without it


@pytest.mark.parametrize(("params", "code"), [
    ({"model": "flux-dev", "style_refs": [1]}, "unsupported"),
    ({"model": "ideogram3", "subject_ref": 1}, "unsupported"),
])
def test_models_that_take_no_references_say_so_before_charging(db, fal_on, params, code):
    user_id = new_user(db)
    with pytest.raises(UserError) as err, db() as s:
        write_job(s, user=s.get(User, user_id), params={"prompt": "a harbour", **params})
    assert err.value.code == code and "doesn't support" in err.value.message
    with db() as s:
        assert s.get(User, user_id).credits == 10


def test_someone_elses_image_is_not_a_reference(db):
    owner, other = new_user(db, "a@example.com"), new_user(db, "b@example.com")
    theirs = upload(db, owner, (10, 200, 10))
    with pytest.raises(UserError) as err, db() as s:
        write_job(s, user=s.get(User, other), params={"model": "local-preview", "prompt": "x", "style_refs": [theirs]})
    assert err.value.code == "image_not_found"
    with db() as s:
        assert s.exec(select(Job).where(Job.user_id == other)).all() == []
