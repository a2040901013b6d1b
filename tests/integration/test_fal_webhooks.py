"""Fal webhooks against the Fal emulator: only our Fal account, the request id the signature names,
a JWKS cached with a TTL, and 503 (Fal retries) when the key server is down."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from palett.api import mount_api
from palett.models import Job, User
from palett.services.accounts import users as accounts
from palett.services.generation import submit
from tests.conftest import reset_caches
from tests.integration.test_auth_routes import not_found

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
CHELSEA = Path(__file__).parents[1] / "fixtures" / "chelsea.png"


@pytest.fixture
def jobs(db, fal_on):
    """Two submitted Fal jobs of one user (not run here), by their Fal request ids."""
    fal_on._files["webhook.png"] = CHELSEA.read_bytes()
    ids = {}
    with db() as s:
        user = accounts.create_user(s, email="fal@example.com", verified=True)
        for request_id in ("req-a", "req-b"):
            job = submit.write_job(s, user=s.get(User, user.id), params={"prompt": "fox", "model": "flux-dev"})
            job.provider_request_id = request_id
            ids[request_id] = job.id
    return ids


def status(db, job_id: int) -> str:
    with db() as s:
        return s.get(Job, job_id).status


def post(fal, body_request_id: str, *, signed_request_id: str | None = None, user_id: str | None = None):
    payload = {"images": [{"url": f"{fal.base_url}/files/webhook.png"}], "seed": 3}
    body = fal.webhook_body(body_request_id, payload)
    headers = fal.sign_webhook(body, signed_request_id or body_request_id, user_id=user_id)
    client = TestClient(mount_api(not_found), raise_server_exceptions=False)
    return client.post("/api/webhooks/fal", content=body, headers=headers)


def test_a_webhook_signed_for_another_fal_account_is_refused(db, fal_on, jobs, monkeypatch):
    monkeypatch.setenv("FAL_WEBHOOK_USER_ID", fal_on.user_id)
    reset_caches()
    assert post(fal_on, "req-a", user_id="another-fal-customer").status_code == 401
    assert status(db, jobs["req-a"]) == "queued"
    assert post(fal_on, "req-a").status_code == 200
    assert status(db, jobs["req-a"]) == "succeeded"


def test_without_a_configured_account_production_refuses_and_development_accepts(db, fal_on, jobs, monkeypatch):
    monkeypatch.setenv("PALETT_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    reset_caches()
    assert post(fal_on, "req-a").status_code == 401
    monkeypatch.delenv("PALETT_ENV")
    reset_caches()
    assert post(fal_on, "req-a").status_code == 200


def test_the_job_is_the_one_the_signed_headers_name_not_the_body(db, fal_on, jobs):
    assert post(fal_on, "req-b", signed_request_id="req-a").status_code == 200
    assert (status(db, jobs["req-a"]), status(db, jobs["req-b"])) == ("succeeded", "queued")


def test_the_key_set_is_fetched_once_per_ttl(db, fal_on, jobs, monkeypatch):
    monkeypatch.setenv("FAL_JWKS_TTL_SECONDS", "2")
    reset_caches()
    for _ in range(3):  # ids of no job: quick answers, well inside the TTL
        assert post(fal_on, "not-a-job").status_code == 200
    assert fal_on.jwks_fetches == 1
    time.sleep(2.1)
    assert post(fal_on, "not-a-job").status_code == 200
    assert fal_on.jwks_fetches == 2


def test_an_unreachable_key_server_answers_503_so_fal_retries(db, fal_on, jobs, monkeypatch):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("FAL_JWKS_URL", f"https://127.0.0.1:{port}/.well-known/jwks.json")
    reset_caches()
    response = post(fal_on, "req-a")
    assert response.status_code == 503 and response.headers["retry-after"] == "60"
    assert status(db, jobs["req-a"]) == "queued"
    monkeypatch.setenv("FAL_JWKS_URL", fal_on.jwks_url)  # the key server is back: Fal's retry lands
    reset_caches()
    assert post(fal_on, "req-a").status_code == 200
    assert status(db, jobs["req-a"]) == "succeeded"
