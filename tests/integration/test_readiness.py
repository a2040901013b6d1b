"""Liveness answers whatever is down; readiness names what is down (real PostgreSQL and Redis, dead ports)."""

from __future__ import annotations

import socket

import pytest
from starlette.testclient import TestClient

from palett.api import mount_api
from tests.integration.test_auth_routes import not_found


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when this returns: nothing listens there


@pytest.fixture
def client_with(monkeypatch, db_url):
    from tests.conftest import reset_caches

    def make(**env: str) -> TestClient:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        reset_caches()
        return TestClient(mount_api(not_found))

    return make


def test_ready_with_every_dependency_up(client_with):
    client = client_with(REDIS_URL="redis://127.0.0.1:6379/0")
    response = client.get("/api/ready")
    assert response.status_code == 200, response.text
    checks = response.json()["checks"]
    assert set(checks) == {"database", "storage", "queue", "redis"}
    assert all(c["ok"] for c in checks.values())


def test_redis_down_is_named_and_liveness_still_answers(client_with):
    client = client_with(REDIS_URL=f"redis://127.0.0.1:{dead_port()}/0")
    response = client.get("/api/ready")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert not checks["redis"]["ok"] and checks["redis"]["detail"]
    assert checks["database"]["ok"]
    assert client.get("/api/health").json() == {"status": "ok"}


def test_database_down_is_named_and_liveness_still_answers(client_with):
    client = client_with(DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:{dead_port()}/nothing")
    response = client.get("/api/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["database"]["ok"] is False
    assert client.get("/api/health").status_code == 200
