"""Logs and error reports carry request and job ids; the worker reports to Sentry (a local Sentry endpoint)."""

from __future__ import annotations

import gzip
import json
import logging
import subprocess
import sys
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from palett.api import mount_api
from palett.services.common import observability
from tests.integration.test_auth_routes import not_found


@pytest.fixture
def json_logs(monkeypatch):
    from tests.conftest import reset_caches

    monkeypatch.setenv("LOG_FORMAT", "json")
    reset_caches()
    root = logging.getLogger()
    before = root.handlers[:], root.level
    monkeypatch.setattr(observability, "_configured", None)
    yield
    root.handlers[:], _ = before
    root.setLevel(before[1])


def test_log_lines_are_json_with_the_job_and_user_ids(json_logs, capsys):
    observability.setup("worker")
    with observability.bound(job_id=41, user_id=7):
        logging.getLogger("palett.test").warning("provider slow: %s s", 12)
    logging.getLogger("palett.test").warning("outside")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    inside, outside = lines[-2], lines[-1]
    assert inside["event"] == "provider slow: 12 s" and inside["job_id"] == 41 and inside["user_id"] == 7
    assert inside["level"] == "warning" and inside["logger"] == "palett.test" and "timestamp" in inside
    assert "job_id" not in outside


def test_every_response_has_a_request_id_and_a_proxys_id_is_kept_only_when_sane():
    client = TestClient(mount_api(not_found))
    first, second = client.get("/api/health"), client.get("/api/health")
    assert len(first.headers["x-request-id"]) == 32 and first.headers["x-request-id"] != second.headers["x-request-id"]
    assert client.get("/api/health", headers={"x-request-id": "edge-1234abcd"}).headers["x-request-id"] == \
        "edge-1234abcd"
    forged = client.get("/api/health", headers={"x-request-id": "x\n{\"level\":\"error\"}"})
    assert forged.headers["x-request-id"] != "x\n{\"level\":\"error\"}"


class _Sentry(BaseHTTPRequestHandler):
    envelopes: list[bytes] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        if self.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        _Sentry.envelopes.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_a_crash_in_the_worker_reaches_sentry_with_its_job_id_and_no_personal_data(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sentry)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    script = textwrap.dedent("""
        import asyncio, logging, sentry_sdk
        from palett.services.common import observability
        observability.setup("worker")

        @observability.job_scope
        async def execute(job_id):
            try:
                raise RuntimeError("render exploded")
            except RuntimeError:
                logging.getLogger("palett.pipeline").exception("job crashed for ada@example.com")

        asyncio.run(execute(99))
        sentry_sdk.flush(5)
    """)
    root = Path(__file__).resolve().parents[2]
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root), "DATA_DIR": str(tmp_path), "PALETT_ENV": "production",
           "SECRET_KEY": "s" * 40, "RELEASE": "abc123",
           "SENTRY_DSN": f"http://publickey@127.0.0.1:{server.server_port}/1"}
    try:
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    finally:
        server.shutdown()
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for body in _Sentry.envelopes for line in body.splitlines()
              if line.startswith(b"{") and b'"exception"' in line]
    assert events, done.stderr
    event = events[0]
    assert event["tags"]["job_id"] == "99" and event["tags"]["process"] == "worker"
    assert event["environment"] == "production" and event["release"] == "abc123"
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert "user" not in event or "email" not in event["user"]
