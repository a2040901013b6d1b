"""Public API v1 over HTTP (TestClient through mount_api), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from palett.api import mount_api
from palett.models import ApiKey, CreditTransaction, Job
from palett.services.accounts import api_keys
from palett.services.common.errors import UserError
from palett.services.generation import pipeline
from tests.integration.test_auth_routes import not_found
from tests.integration.test_pipeline_local import PROMPT, balance_matches_ledger, new_user

ALL = ("generate", "read", "delete")
PROBLEM = "application/problem+json"


@pytest.fixture
def client(db_url, monkeypatch):
    from tests.conftest import reset_caches

    monkeypatch.setenv("PUBLIC_URL", "http://testserver")
    reset_caches()
    with TestClient(mount_api(not_found), follow_redirects=False) as c:
        yield c


def key_for(db, user_id: int, scopes=ALL, name: str = "laptop") -> str:
    with db() as s:
        return api_keys.create(s, user_id=user_id, name=name, scopes=list(scopes)).secret


def auth(secret: str) -> dict[str, str]:
    return {"authorization": f"Bearer {secret}"}


def assert_problem(response, status: int, kind: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["type"] == f"/api/v1/problems/{kind}" and body["status"] == status
    assert body["title"] and body["detail"]
    return body


def test_keys_are_shown_once_stored_hashed_limited_and_revoked_at_once(db):
    user = new_user(db)
    with db() as s:
        made = api_keys.create(s, user_id=user.id, name=" laptop ", scopes=["read", "generate"])
    assert made.secret.startswith(made.key.prefix + "_") and made.key.name == "laptop"
    with db() as s:
        row = s.exec(select(ApiKey).where(ApiKey.user_id == user.id)).one()
        assert made.secret not in (row.secret_hash, row.prefix) and len(row.secret_hash) == 64
        caller = api_keys.authenticate(s, made.secret)
        assert caller and caller.user_id == user.id and caller.scopes == {"read", "generate"}
        assert api_keys.authenticate(s, made.secret + "x") is None
        assert api_keys.authenticate(s, "not-a-key") is None
    other = new_user(db, email="other@example.com")
    with db() as s:
        assert s.get(ApiKey, row.id).last_used_at is not None
        assert not api_keys.revoke(s, user_id=other.id, key_id=row.id)  # not theirs
        assert api_keys.revoke(s, user_id=user.id, key_id=row.id)
        assert not api_keys.revoke(s, user_id=user.id, key_id=row.id)
    with db() as s:
        assert api_keys.authenticate(s, made.secret) is None
        for bad_scopes in ([], ["admin"]):
            with pytest.raises(UserError):
                api_keys.create(s, user_id=user.id, name="x", scopes=bad_scopes)
        for i in range(api_keys.MAX_KEYS):  # the revoked key no longer counts
            api_keys.create(s, user_id=user.id, name=f"k{i}", scopes=["read"])
        with pytest.raises(UserError):
            api_keys.create(s, user_id=user.id, name="one too many", scopes=["read"])
        assert len(api_keys.list_keys(s, user_id=user.id)) == api_keys.MAX_KEYS + 1


def test_bad_missing_and_revoked_keys_get_401(client, db):
    user = new_user(db)
    secret = key_for(db, user.id)
    assert client.get("/api/v1/me", headers=auth(secret)).status_code == 200
    assert_problem(client.get("/api/v1/me"), 401, "unauthorized")
    assert_problem(client.get("/api/v1/me", headers=auth("plt_nope_nope")), 401, "unauthorized")
    with db() as s:
        key_id = s.exec(select(ApiKey.id).where(ApiKey.user_id == user.id)).one()
        api_keys.revoke(s, user_id=user.id, key_id=key_id)
    r = client.get("/api/v1/me", headers=auth(secret))
    assert_problem(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer"


def test_me_models_and_the_openapi_schema(client, db):
    user = new_user(db)
    secret = key_for(db, user.id)
    me = client.get("/api/v1/me", headers=auth(secret)).json()
    assert (me["id"], me["credits"], me["plan"]) == (user.id, 10, "free")
    assert (me["rate_limit"], me["key_rate_limit"]) == ("10/hour", "120/minute")
    models = client.get("/api/v1/models", headers=auth(secret)).json()
    local = next(m for m in models if m["key"] == "local-preview")
    assert local["operation"] == "t2i" and local["available"] and local["credits_per_image"] == 1
    assert "square" in local["settings"]["sizes"] and "prompt" in local["input_schema"]["properties"]
    assert len({m["operation"] for m in models}) > 1  # editing tools too
    lanczos = next(m for m in models if m["key"] == "local-lanczos")["input_schema"]["properties"]
    assert "image_id" in lanczos and "image_key" not in lanczos  # what the server fills in isn't offered
    schema = client.get("/api/v1/openapi.json").json()
    assert {"/me", "/models", "/generations", "/generations/{generation_id}"} <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert {"type", "title", "status", "detail"} <= set(schema["components"]["schemas"]["Problem"]["properties"])
    post = schema["paths"]["/generations"]["post"]
    assert post["responses"]["402"]["content"][PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert {"202", "401", "403", "409", "422", "429"} <= set(post["responses"])
    assert client.get("/openapi.json").status_code == 404  # the web app's own schema stays off
    r = client.get("/api/v1/me", headers=auth(secret))
    assert r.headers.get("x-content-type-options") == "nosniff"  # security headers reach the API too


def test_scopes_are_enforced(client, db):
    user = new_user(db)
    reader = key_for(db, user.id, scopes=["read"])
    assert_problem(client.post("/api/v1/generations", json=PROMPT, headers=auth(reader)), 403, "forbidden-scope")
    assert_problem(client.delete("/api/v1/generations/1", headers=auth(reader)), 403, "forbidden-scope")
    maker = key_for(db, user.id, scopes=["generate"], name="maker")
    assert_problem(client.get("/api/v1/models", headers=auth(maker)), 403, "forbidden-scope")
    with db() as s:
        assert s.exec(select(Job).where(Job.user_id == user.id)).first() is None


def test_an_api_generation_runs_is_charged_once_and_is_private(client, db):
    user = new_user(db)
    secret = key_for(db, user.id)
    r = client.post("/api/v1/generations", json={**PROMPT, "num_images": 2}, headers=auth(secret))
    assert r.status_code == 202, r.text
    made = r.json()
    assert made["status"] == "queued" and made["reserved"] == 2 and made["balance"] == 8
    assert r.headers["location"] == f"/api/v1/generations/{made['id']}"
    asyncio.run(pipeline.execute(made["id"]))
    job = client.get(f"/api/v1/generations/{made['id']}", headers=auth(secret)).json()
    assert job["status"] == "succeeded" and job["charged"] == 2 and len(job["images"]) == 2
    assert all(img["url"] and img["id"] for img in job["images"])
    assert balance_matches_ledger(db, user.id) == 8
    with db() as s:
        kinds = s.exec(select(CreditTransaction.kind).where(CreditTransaction.user_id == user.id,
                                                            CreditTransaction.kind != "grant")).all()
    assert sorted(kinds) == ["capture", "reserve"]
    # Another user's key sees nothing: the same 404 as an id that doesn't exist.
    other = key_for(db, new_user(db, email="eve@example.com").id)
    theirs = assert_problem(client.get(f"/api/v1/generations/{made['id']}", headers=auth(other)), 404, "not-found")
    missing = assert_problem(client.get("/api/v1/generations/999999", headers=auth(other)), 404, "not-found")
    assert theirs["detail"] == missing["detail"]
    assert_problem(client.delete(f"/api/v1/generations/{made['id']}", headers=auth(other)), 404, "not-found")
    # A finished generation can't be cancelled.
    assert_problem(client.delete(f"/api/v1/generations/{made['id']}", headers=auth(secret)), 409, "conflict")


def test_cancel_refunds(client, db):
    user = new_user(db)
    secret = key_for(db, user.id)
    made = client.post("/api/v1/generations", json=PROMPT, headers=auth(secret)).json()
    r = client.delete(f"/api/v1/generations/{made['id']}", headers=auth(secret))
    assert r.status_code == 200 and r.json()["status"] == "cancelled" and r.json()["charged"] == 0
    assert balance_matches_ledger(db, user.id) == 10


def test_idempotent_replay_and_409(client, db):
    user = new_user(db)
    secret = key_for(db, user.id)
    headers = {**auth(secret), "idempotency-key": "order-42"}
    first = client.post("/api/v1/generations", json=PROMPT, headers=headers)
    again = client.post("/api/v1/generations", json=dict(reversed(PROMPT.items())), headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    body = assert_problem(client.post("/api/v1/generations", json={**PROMPT, "prompt": "other"}, headers=headers),
                          409, "idempotency-key-reused")
    assert "Idempotency-Key" in body["detail"]
    with db() as s:
        assert len(s.exec(select(Job).where(Job.user_id == user.id)).all()) == 1
    assert balance_matches_ledger(db, user.id) == 9
    # Keys are per user: another user's identical key is a new request.
    other = key_for(db, new_user(db, email="eve@example.com").id)
    r = client.post("/api/v1/generations", json=PROMPT, headers={**auth(other), "idempotency-key": "order-42"})
    assert r.status_code == 202 and r.json()["id"] != first.json()["id"]
    # A refused request lets its key go: the same key works once the body is fixed... and is then kept.
    bad = client.post("/api/v1/generations", json={**PROMPT, "num_images": 9},
                      headers={**auth(secret), "idempotency-key": "k2"})
    assert_problem(bad, 422, "invalid-input")
    ok = client.post("/api/v1/generations", json=PROMPT, headers={**auth(secret), "idempotency-key": "k2"})
    assert ok.status_code == 202


def test_errors_are_problems_naming_what_to_fix(client, db, monkeypatch):
    user = new_user(db, credits_=2)
    secret = key_for(db, user.id)
    post = lambda body: client.post("/api/v1/generations", json=body, headers=auth(secret))  # noqa: E731
    assert assert_problem(post({**PROMPT, "num_images": 9}), 422, "invalid-input")["field"] == "num_images"
    assert assert_problem(post({**PROMPT, "prompt": "  "}), 422, "invalid-input")["field"] == "prompt"
    assert assert_problem(post({**PROMPT, "model": "nope"}), 422, "invalid-input")["field"] == "model"
    assert assert_problem(post({**PROMPT, "sharpness": 3}), 422, "invalid-input")["field"] == "sharpness"
    assert assert_problem(post({"prompt": "x"}), 422, "invalid-input")["field"] == "model"
    r = client.post("/api/v1/generations", content=b"[1, 2]", headers={**auth(secret),
                                                                       "content-type": "application/json"})
    assert_problem(r, 422, "invalid-input")
    assert "3 credits" in assert_problem(post({**PROMPT, "num_images": 3}), 402, "insufficient-credits")["detail"]
    assert_problem(client.get("/api/v1/generations/abc", headers=auth(secret)), 422, "invalid-input")
    assert_problem(client.get("/api/v1/nowhere", headers=auth(secret)), 404, "not-found")
    # The plan's rate limit applies as in the studio, with Retry-After.
    monkeypatch.setenv("RATE_LIMIT_FREE", "1/hour")
    from tests.conftest import reset_caches

    reset_caches()
    assert post(PROMPT).status_code == 202
    r = post(PROMPT)
    assert_problem(r, 429, "rate-limited")
    assert int(r.headers["retry-after"]) >= 60
    assert balance_matches_ledger(db, user.id) == 1  # only the accepted job holds a credit


def test_each_key_has_its_own_rate_limit_and_bodies_are_capped(client, db, monkeypatch):
    from tests.conftest import reset_caches

    monkeypatch.setenv("API_KEY_RATE_LIMIT", "3/minute")
    reset_caches()
    user = new_user(db)
    first, second = key_for(db, user.id), key_for(db, user.id, name="second")
    answers = [client.get("/api/v1/me", headers=auth(first)) for _ in range(3)]
    assert [r.headers["ratelimit-remaining"] for r in answers] == ["2", "1", "0"]
    assert all(r.headers["ratelimit-limit"] == "3" for r in answers)
    r = client.get("/api/v1/me", headers=auth(first))
    assert_problem(r, 429, "rate-limited")
    assert 0 < int(r.headers["retry-after"]) <= 60
    assert client.get("/api/v1/me", headers=auth(second)).status_code == 200  # the other key is untouched
    big = {**PROMPT, "prompt": "x" * 70_000}
    assert_problem(client.post("/api/v1/generations", json=big, headers=auth(second)), 413, "payload-too-large")


def test_the_key_script_creates_lists_and_revokes(client, db, capsys):
    from scripts.api_key import main

    user = new_user(db)
    assert main(["create", user.email, "cli", "--scopes", "read"]) == 0
    secret = capsys.readouterr().out.split()[-1]
    assert client.get("/api/v1/models", headers=auth(secret)).status_code == 200
    assert main(["list", user.email]) == 0 and "'cli' [read] active" in capsys.readouterr().out
    with db() as s:
        key_id = s.exec(select(ApiKey.id).where(ApiKey.user_id == user.id)).one()
    assert main(["revoke", user.email, str(key_id)]) == 0
    assert_problem(client.get("/api/v1/models", headers=auth(secret)), 401, "unauthorized")
    assert main(["create", user.email, "x", "--scopes", "admin"]) == 1
    assert main(["list", "nobody@example.com"]) == 1


def test_generations_come_in_keyset_pages_of_ones_own(client, db):
    user = new_user(db)
    secret = key_for(db, user.id)
    made = [client.post("/api/v1/generations", json=PROMPT, headers=auth(secret)).json()["id"] for _ in range(5)]
    other = key_for(db, new_user(db, email="eve@example.com").id)
    client.post("/api/v1/generations", json=PROMPT, headers=auth(other))
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"before": cursor} if cursor else {})}
        body = client.get("/api/v1/generations", params=params, headers=auth(secret)).json()
        seen += [g["id"] for g in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(made, reverse=True)
    assert_problem(client.get("/api/v1/generations", params={"limit": 0}, headers=auth(secret)), 422,
                   "invalid-input")


def test_a_job_started_by_a_key_finishes_after_the_key_is_revoked(client, db):
    user = new_user(db)
    secret = key_for(db, user.id)
    job_id = client.post("/api/v1/generations", json=PROMPT, headers=auth(secret)).json()["id"]
    with db() as s:
        api_keys.revoke(s, user_id=user.id, key_id=s.exec(select(ApiKey.id)).one())
    assert_problem(client.get(f"/api/v1/generations/{job_id}", headers=auth(secret)), 401, "unauthorized")
    asyncio.run(pipeline.execute(job_id))
    with db() as s:
        job = s.get(Job, job_id)
        assert job.status == "succeeded" and job.charged == 1
    assert balance_matches_ledger(db, user.id) == 9


def test_an_edit_of_ones_own_image_runs_and_anothers_image_is_not_found(client, db):
    user = new_user(db)
    secret = key_for(db, user.id)
    made = client.post("/api/v1/generations", json=PROMPT, headers=auth(secret)).json()
    asyncio.run(pipeline.execute(made["id"]))
    (image,) = client.get(f"/api/v1/generations/{made['id']}", headers=auth(secret)).json()["images"]
    edit = {"model": "local-lanczos", "image_id": image["id"], "mode": "2x"}
    r = client.post("/api/v1/generations", json=edit, headers=auth(secret))
    assert r.status_code == 202, r.text
    asyncio.run(pipeline.execute(r.json()["id"]))
    done = client.get(f"/api/v1/generations/{r.json()['id']}", headers=auth(secret)).json()
    assert done["status"] == "succeeded" and done["operation"] == "upscale"
    assert done["images"][0]["width"] == 2 * image["width"]
    other = key_for(db, new_user(db, email="eve@example.com").id)
    assert_problem(client.post("/api/v1/generations", json=edit, headers=auth(other)), 404, "not-found")
    forged = client.post("/api/v1/generations", json={**edit, "image_key": "u/999/x.png"}, headers=auth(secret))
    assert assert_problem(forged, 422, "invalid-input")["field"] == "image_key"


def test_a_key_whose_first_request_died_is_taken_over_later(client, db):
    from datetime import timedelta

    from palett.models import IdempotentRequest, utcnow
    from palett.services.common import idempotency

    user = new_user(db)
    secret = key_for(db, user.id)
    digest = idempotency.body_hash(PROMPT)
    assert idempotency.claim(user_id=user.id, key="k", digest=digest) is None  # a request that never answers
    headers = {**auth(secret), "idempotency-key": "k"}
    r = client.post("/api/v1/generations", json=PROMPT, headers=headers)
    assert_problem(r, 409, "idempotency-key-in-progress")
    assert r.headers["retry-after"] == "1"
    with db() as s:
        row = s.exec(select(IdempotentRequest)).one()
        row.created_at = utcnow() - idempotency.STALE_AFTER - timedelta(seconds=1)
        s.add(row)
    first = client.post("/api/v1/generations", json=PROMPT, headers=headers)
    assert first.status_code == 202
    assert client.post("/api/v1/generations", json=PROMPT, headers=headers).json() == first.json()


def test_parallel_requests_with_one_key_make_one_claim(db):
    from concurrent.futures import ThreadPoolExecutor

    from palett.services.common import idempotency

    user = new_user(db)
    digest = idempotency.body_hash(PROMPT)
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda _: idempotency.claim(user_id=user.id, key="same", digest=digest), range(8)))
    assert sum(outcome is None for outcome in outcomes) == 1
    assert all(o.status_code == idempotency.PENDING and o.same_body for o in outcomes if o is not None)
