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
from palett.services.accounts import users as accounts
from palett.services.generation import pipeline, submit
from palett.services.generation.submit import write_job
from palett.services.media.storage import get_storage
from tests.integration.test_auth_routes import not_found
from tests.integration.test_pipeline_local import balance_matches_ledger

EXPECTED_INPUT = {
    "flux-dev": ("fal-ai/flux/dev", {"prompt": "a red fox", "image_size": "landscape_4_3", "num_inference_steps": 20,
                                     "guidance_scale": 4.0, "num_images": 2, "enable_safety_checker": True,
                                     "output_format": "png", "seed": 7}),
    "flux-pro-ultra": ("fal-ai/flux-pro/v1.1-ultra", {"prompt": "a red fox", "aspect_ratio": "16:9", "num_images": 2,
                                                      "raw": True, "safety_tolerance": "2",
                                                      "output_format": "png", "seed": 7}),
    "nano-banana-2": ("fal-ai/nano-banana-2", {"prompt": "a red fox", "aspect_ratio": "3:2", "num_images": 2,
                                               "resolution": "1K", "safety_tolerance": "2", "output_format": "png",
                                               "seed": 7}),
    "ideogram3": ("fal-ai/ideogram/v3", {"prompt": "a red fox", "image_size": "landscape_4_3", "num_images": 2,
                                         "rendering_speed": "BALANCED", "style": "DESIGN", "seed": 7,
                                         "negative_prompt": "blur"}),
}
FORM = {
    "flux-dev": {"size": "landscape_4_3", "steps": 20, "guidance": 4.0, "seed": 7},
    "flux-pro-ultra": {"size": "16:9", "style": "raw", "seed": 7},
    "nano-banana-2": {"size": "3:2", "seed": 7},
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
        assert {i.seed for i in imgs} == {7}  # re-makeable, also where the endpoint does not echo the seed
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


def test_webhook_without_payload_fetches_the_result_from_the_queue(db, fal_on, user_id):
    """Fal sends status OK, payload null and payload_error when the result can't go in the webhook."""
    import fal_client

    with db() as s:
        job = submit.write_job(s, user=s.get(User, user_id), params={"prompt": "fox", "model": "flux-dev"})
        job_id = job.id
    handle = fal_client.SyncClient(key="k:s").submit("fal-ai/flux/dev", {"prompt": "fox", "num_images": 1})
    fal_on.finish(handle.request_id)
    with db() as s:
        s.get(Job, job_id).provider_request_id = handle.request_id
    body = json.dumps({"request_id": handle.request_id, "gateway_request_id": handle.request_id, "status": "OK",
                       "payload": None, "payload_error": "Response payload is not JSON serializable"}).encode()
    response = TestClient(mount_api(not_found)).post("/api/webhooks/fal", content=body,
                                                     headers=fal_on.sign_webhook(body, handle.request_id))
    assert response.status_code == 200
    with db() as s:
        assert s.get(Job, job_id).status == "succeeded", s.get(Job, job_id).error
        assert len(s.exec(select(GeneratedImage).where(GeneratedImage.job_id == job_id)).all()) == 1
    assert balance_matches_ledger(db, user_id) == 9


def test_a_64_bit_seed_from_fal_is_kept(db, fal_on, user_id):
    fal_on._files["big-seed.png"] = (Path(__file__).parents[1] / "fixtures" / "chelsea.png").read_bytes()
    seed = 2**53 + 7  # Fal's seeds are 64-bit; an INTEGER column overflows on PostgreSQL
    fal_on.behave("fal-ai/flux/dev", "succeed", result={
        "images": [{"url": f"{fal_on.base_url}/files/big-seed.png", "width": 451, "height": 300}],
        "seed": seed, "has_nsfw_concepts": [False], "prompt": "fox", "timings": {}})
    with db() as s:
        job = submit.write_job(s, user=s.get(User, user_id), params={"prompt": "fox", "model": "flux-dev"})
    asyncio.run(pipeline.execute(job.id))
    with db() as s:
        assert s.get(Job, job.id).status == "succeeded", s.get(Job, job.id).error
        (image,) = s.exec(select(GeneratedImage).where(GeneratedImage.job_id == job.id)).all()
        assert image.seed == seed


def test_a_field_outside_the_published_schema_fails_like_fal_and_refunds(db, fal_on, user_id, monkeypatch):
    """The emulator holds the code to each endpoint's contract: Fal answers 422 for an unknown field."""
    from dataclasses import replace

    from palett.services.generation import catalog

    spec = catalog.get("flux-dev")
    monkeypatch.setitem(catalog._REGISTRY, "flux-dev",
                        replace(spec, adapter=lambda p, m: {"prompt": p.prompt, "upscaling": 2}))
    job_id = run_job(db, user_id, model="flux-dev")
    (record,) = fal_on.submits("fal-ai/flux/dev")
    assert fal_on.job(record.request_id).error == (422, {"detail": [
        {"loc": ["body", "upscaling"], "msg": "Extra inputs are not permitted", "type": "extra_forbidden"}]})
    with db() as s:
        job = s.get(Job, job_id)
        assert job.status == "failed" and job.error == "The model refused these settings."
    assert balance_matches_ledger(db, user_id) == 10
