"""Prometheus metrics: private to the token holder, counting what operators watch, summed across processes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from palett.api import mount_api
from palett.services.generation import pipeline
from tests.conftest import reset_caches
from tests.integration.test_auth_routes import ORIGIN, not_found
from tests.integration.test_pipeline_local import new_user, submit

TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture
def client(db, monkeypatch):
    monkeypatch.setenv("METRICS_TOKEN", TOKEN)
    monkeypatch.setenv("PUBLIC_URL", "http://testserver")
    reset_caches()
    return TestClient(mount_api(not_found), follow_redirects=False)


def scrape(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/api/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def test_the_endpoint_does_not_exist_without_the_token(client, monkeypatch):
    assert client.get("/api/metrics").status_code == 404
    assert client.get("/api/metrics", headers={"authorization": "Bearer wrong"}).status_code == 404
    monkeypatch.delenv("METRICS_TOKEN")
    reset_caches()
    assert client.get("/api/metrics", headers={"authorization": "Bearer "}).status_code == 404


def test_jobs_credits_queue_and_sign_in_failures_are_counted(client, db):
    before = scrape(client)
    user = new_user(db)
    done = submit(db, user)
    asyncio.run(pipeline.execute(done))
    waiting = submit(db, user)
    client.post("/api/auth/login", data={"email": "nobody@example.com", "password": "x" * 12}, headers=ORIGIN)
    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("palett_jobs_finished_total", operation="t2i", status="succeeded") == 1
    assert grew("palett_credits_total", kind="reserved") == 2  # two jobs reserved one credit each
    assert grew("palett_credits_total", kind="captured") == 1 and grew("palett_credits_total", kind="refunded") == 0
    assert grew("palett_signin_failures_total", reason="bad_credentials") == 1
    assert grew("palett_job_queue_wait_seconds_count") == 1
    assert grew("palett_provider_seconds_count", provider="local") == 1
    assert after[("palett_jobs_active", (("operation", "t2i"), ("status", "queued")))] == 1
    assert waiting


def test_counts_from_several_processes_are_added_up(client, tmp_path, monkeypatch):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    count = "from palett.services.common import metrics; metrics.WEBHOOKS.labels(source='fal', outcome='ok').inc()"
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder), "PYTHONPATH": str(Path(__file__).parents[2])}
    for _ in range(3):
        subprocess.run([sys.executable, "-c", count], env=env, check=True, timeout=60)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    assert scrape(client)[("palett_webhooks_total", (("outcome", "ok"), ("source", "fal")))] == 3
