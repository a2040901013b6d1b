"""The pipeline with the real fal_client against the local Fal emulator (HTTPS, queue protocol, webhooks)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from palett.api import mount_api
from palett.models import GeneratedImage, Job, User
from palett.services import accounts, pipeline
from palett.services.storage import get_storage
from palett.services.submit import write_job
from tests.integration.test_auth_routes import not_found
from tests.integration.test_pipeline_local import balance_matches_ledger

EXPECTED_INPUT = {
    "flux-dev": ("fal-ai/flux/dev", {"prompt": "a red fox", "image_size": "landscape_4_3", "num_inference_steps": 20,
                                     "guidance_scale": 4.0, "num_images": 2, "enable_safety_checker": True,
                                     "output_format": "png", "seed": 7}),
    "flux-pro-ultra": ("fal-ai/flux-pro/v1.1-ultra", {"prompt": "a red fox", "aspect_ratio": "16:9", "num_images": 2,
                                                      "raw": True, "enable_safety_checker": True,
                                                      "output_format": "png", "seed": 7}),
    "imagen4": ("fal-ai/imagen4/preview", {"prompt": "a red fox", "aspect_ratio": "16:9", "num_images": 2,
                                           "negative_prompt": "blur"}),
    "ideogram3": ("fal-ai/ideogram/v3", {"prompt": "a red fox", "image_size": "landscape_4_3", "num_images": 2,
                                         "rendering_speed": "BALANCED", "style": "DESIGN", "seed": 7,
                                         "negative_prompt": "blur"}),
}
FORM = {
    "flux-dev": {"size": "landscape_4_3", "steps": 20, "guidance": 4.0, "seed": 7},
    "flux-pro-ultra": {"size": "16:9", "style": "raw", "seed": 7},
    "imagen4": {"size": "16:9", "negative_prompt": "blur"},
    "ideogram3": {"size": "landscape_4_3", "style": "DESIGN", "seed": 7, "negative_prompt": "blur"},
}


def run_job(db, user_id: int, **params) -> int:
    with db() as s:
        job = write_job(s, user=s.get(User, user_id), params={"prompt": "a red fox", "num_images": 2, **params})
    asyncio.run(pipeline.execute(job.id))
    return job.id


@pytest.fixture
def user_id(db, fal_on) -> int:
    with db() as s:
        return accounts.create_user(s, email="fal@example.com", verified=True).id


@pytest.mark.parametrize("model", list(EXPECTED_INPUT))
def test_each_model_receives_its_exact_schema_and_images_are_copied(db, fal_on, user_id, model):
    job_id = run_job(db, user_id, model=model, **FORM[model])
    endpoint, expected = EXPECTED_INPUT[model]
    (record,) = fal_on.submits(endpoint)
    assert record.input == expected
    with db() as s:
        job = s.get(Job, job_id)
        assert job.status == "succeeded", job.error
        assert job.provider_request_id == record.request_id
        imgs = s.exec(select(GeneratedImage).where(GeneratedImage.job_id == job_id)).all()
        assert len(imgs) == 2
        # Our own copy, never the provider's temporary URL.
        assert all("127.0.0.1" not in i.image_url and get_storage().exists(i.image_url) for i in imgs)
        assert imgs[0].recipe["endpoint"] == endpoint and imgs[0].recipe["local"] is False
    assert balance_matches_ledger(db, user_id) == 8


def test_progress_is_recorded_from_queue_and_logs(db, fal_on, user_id):
    fal_on.behave("fal-ai/flux/dev", "succeed", queue_polls=2, progress_polls=2)
    job_id = run_job(db, user_id, model="flux-dev")
    with db() as s:
        job = s.get(Job, job_id)
        assert job.status == "succeeded" and job.logs and job.queue_position is None


@pytest.mark.parametrize("mode", ["fail", "http_500", "nsfw"])
def test_failures_refund_and_say_so(db, fal_on, user_id, mode):
    fal_on.behave("fal-ai/flux/dev", mode)
    import fal_client.client

    fal_client.client.MAX_ATTEMPTS = 2
    job_id = run_job(db, user_id, model="flux-dev")
    with db() as s:
        job = s.get(Job, job_id)
        assert job.status == "failed" and job.error and job.charged == 0
    assert balance_matches_ledger(db, user_id) == 10


def test_cancel_while_running_stops_upstream_and_refunds(db, fal_on, user_id):
    fal_on.behave("fal-ai/flux/dev", "hang")

    async def scenario() -> int:
        with db() as s:
            job = write_job(s, user=s.get(User, user_id), params={"prompt": "fox", "model": "flux-dev"})
        task = asyncio.create_task(pipeline.execute(job.id))
        for _ in range(100):
            await asyncio.sleep(0.05)
            if fal_on.submits("fal-ai/flux/dev"):
                break
        with db() as s:
            assert pipeline.cancel(s, user_id=user_id, job_id=job.id)
        await asyncio.wait_for(task, 10)
        return job.id

    job_id = asyncio.run(scenario())
    with db() as s:
        assert s.get(Job, job_id).status == "cancelled"
    assert fal_on.job(fal_on.submits("fal-ai/flux/dev")[0].request_id).cancelled
    assert balance_matches_ledger(db, user_id) == 10


def test_webhook_completes_the_job_once_and_rejects_forgeries(db, fal_on, user_id):
    fal_on.behave("fal-ai/flux/dev", "hang")
    with db() as s:
        job = write_job(s, user=s.get(User, user_id), params={"prompt": "fox", "model": "flux-dev"})
        job_id = job.id
        s.get(Job, job_id).provider_request_id = "req-123"
    client = TestClient(mount_api(not_found))
    fal_on._files["webhook.png"] = (Path(__file__).parents[1] / "fixtures" / "chelsea.png").read_bytes()
    payload = {"images": [{"url": f"{fal_on.base_url}/files/webhook.png"}], "seed": 3}
    body = json.dumps({"request_id": "req-123", "gateway_request_id": "req-123", "status": "OK",
                       "payload": payload}).encode()
    good = fal_on.sign_webhook(body, "req-123")
    assert client.post("/api/webhooks/fal", content=body, headers={**good, "x-fal-webhook-signature": "00" * 64}
                       ).status_code == 401
    stale = fal_on.sign_webhook(body, "req-123", timestamp=1_000_000)
    assert client.post("/api/webhooks/fal", content=body, headers=stale).status_code == 401
    assert client.post("/api/webhooks/fal", content=body + b" ", headers=good).status_code == 401
    for _ in range(2):  # delivered twice: applied once
        assert client.post("/api/webhooks/fal", content=body, headers=good).status_code == 200
    with db() as s:
        assert s.get(Job, job_id).status == "succeeded"
        assert len(s.exec(select(GeneratedImage).where(GeneratedImage.job_id == job_id)).all()) == 1
    assert balance_matches_ledger(db, user_id) == 9
