"""GPT Image through the official openai SDK against a local emulator of the Images API."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from palett.models import GeneratedImage, Job, User
from palett.services.accounts import users as accounts
from palett.services.generation import pipeline
from palett.services.generation.submit import write_job
from palett.services.generation.t2i_models import OPENAI_IMAGE_MODEL
from tests.integration.test_pipeline_local import balance_matches_ledger


def run(db, **params) -> tuple[int, int]:
    with db() as s:
        user = accounts.create_user(s, email="oa@example.com", verified=True)
        job = write_job(s, user=s.get(User, user.id), params={"model": "gpt-image", "prompt": "a teapot",
                                                                     "size": "1024x1024", **params})
    asyncio.run(pipeline.execute(job.id))
    return user.id, job.id


def test_gpt_image_gets_its_schema_and_images_are_stored(db, openai_on):
    user_id, job_id = run(db, size="1536x1024", num_images=2)
    assert openai_on.requests == [{"model": OPENAI_IMAGE_MODEL, "prompt": "a teapot", "n": 2, "size": "1536x1024",
                                   "quality": "medium"}]
    with db() as s:
        assert s.get(Job, job_id).status == "succeeded"
        imgs = s.exec(select(GeneratedImage).where(GeneratedImage.job_id == job_id)).all()
        assert [(i.width, i.height) for i in imgs] == [(1536, 1024), (1536, 1024)]
    assert balance_matches_ledger(db, user_id) == 8


@pytest.mark.parametrize(("mode", "message"), [("safety", "safety system refused this prompt"),
                                               ("http_500", "problem")])
def test_openai_errors_refund(db, openai_on, mode, message):
    openai_on.mode = mode
    openai_on.refusal = "Your request was rejected."  # recognised by its code (moderation_blocked), not its words
    user_id, job_id = run(db)
    with db() as s:
        job = s.get(Job, job_id)
        assert job.status == "failed" and message in job.error
    assert balance_matches_ledger(db, user_id) == 10


def test_gpt_image_refuses_a_seed(db, openai_on):
    from palett.services.common.errors import UserError

    with pytest.raises(UserError) as err:
        run(db, seed=5)
    assert err.value.code == "unsupported"


def test_the_model_is_one_openai_still_serves(db, openai_on):
    """gpt-image-1 was shut down on 2026-10-23: the emulator answers it 404 like OpenAI, so this fails with it."""
    from typing import get_args

    from openai.types.image_model import ImageModel

    assert OPENAI_IMAGE_MODEL in get_args(ImageModel)
    _, job_id = run(db)
    with db() as s:
        assert s.get(Job, job_id).status == "succeeded", s.get(Job, job_id).error
