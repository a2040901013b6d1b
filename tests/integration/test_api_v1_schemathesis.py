"""schemathesis against the running app's /api/v1 OpenAPI schema (in process, through the whole ASGI stack of
mount_api: request ids, security headers, the origin guard, the body cap), with a real API key on PostgreSQL.

Every operation gets generated requests, valid and invalid; no answer may be a 5xx and every answer must match
the schema (status code documented, content type, body, headers). MAX_EXAMPLES bounds the run (~30 s here).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi import checks as openapi_checks
from starlette.testclient import TestClient

from palett.api import mount_api
from tests.conftest import reset_caches
from tests.fixtures import hostile
from tests.integration.test_api_v1 import key_for
from tests.integration.test_auth_routes import not_found
from tests.integration.test_pipeline_local import PROMPT, new_user

MAX_EXAMPLES = 25
CHECKS = [schemathesis.checks.not_a_server_error, openapi_checks.status_code_conformance,
          openapi_checks.content_type_conformance, openapi_checks.response_schema_conformance,
          openapi_checks.response_headers_conformance]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_every_operation_answers_within_its_schema(db, monkeypatch):
    monkeypatch.setenv("PUBLIC_URL", "http://localhost")
    monkeypatch.setenv("API_KEY_RATE_LIMIT", "100000/minute")  # the limit itself is tested elsewhere
    monkeypatch.setenv("RATE_LIMIT_FREE", "100000/hour")
    reset_caches()
    user = new_user(db, credits_=100_000)
    secret = key_for(db, user.id)
    headers = {"authorization": f"Bearer {secret}"}
    app = mount_api(not_found)
    with TestClient(app) as client:  # some real rows for ids to hit
        client.post("/api/v1/uploads", files={"file": ("a.png", hostile.valid_png(), "image/png")}, headers=headers)
        client.post("/api/v1/generations", json=PROMPT, headers=headers)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {f"{op.method.upper()} {op.path}" for op in operations} >= {
        "GET /me", "GET /models", "POST /generations", "GET /generations", "GET /generations/{generation_id}",
        "DELETE /generations/{generation_id}", "POST /uploads", "GET /images", "GET /images/{image_id}"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def answers_within_schema(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        answers_within_schema()
