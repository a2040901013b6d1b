"""Outgoing webhooks: registration (SSRF guard, limits, audit), job-end events through the API, the studio's
pipeline and the Fal emulator, Standard Webhooks signatures, test events, redelivery, rotation, cross-user 404s
and the Developers page's state, on SQLite and PostgreSQL. Receivers are real HTTP servers on 127.0.0.1
(WEBHOOK_ALLOW_LOOPBACK; refused without it). Sending itself: test_webhook_delivery.py."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import select
from standardwebhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from palett.models import AuditLog, WebhookDelivery
from palett.services.common import ssrf
from palett.services.common.errors import UserError
from palett.services.developers import webhook_delivery, webhooks
from tests.conftest import reset_caches
from tests.fakes.server import serve_in_thread
from tests.integration.test_api_v1 import assert_problem, auth, client, key_for  # noqa: F401 (fixture)
from tests.integration.test_pipeline_local import PROMPT, balance_matches_ledger, new_user


class Receiver:
    """A webhook receiver on 127.0.0.1 that records every request and answers the statuses it is given."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[int] = []  # popped per request; 200 once empty
        app = Starlette(routes=[Route("/hooks", self._hook, methods=["POST"])])
        self.base, self.stop = serve_in_thread(app)
        self.url = f"{self.base}/hooks"

    async def _hook(self, request: Request) -> PlainTextResponse:
        self.received.append((dict(request.headers), await request.body()))
        status = self.answers.pop(0) if self.answers else 200
        return PlainTextResponse("x" * 5000 if status >= 500 else "thanks", status_code=status)

    def verified(self, secret: str, index: int = -1) -> dict[str, Any]:
        headers, body = self.received[index]
        return Webhook(secret).verify(body, headers)


@pytest.fixture
def receiver(monkeypatch) -> Iterator[Receiver]:
    monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "1")
    reset_caches()
    made = Receiver()
    yield made
    made.stop()


def deliver(now=None) -> list[int]:
    return asyncio.run(webhook_delivery.deliver_due(now))


def deliveries(db) -> list[WebhookDelivery]:
    with db() as s:
        return list(s.exec(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def fake_dns(monkeypatch, names: dict[str, str]) -> None:
    """No DNS offline: answer these names, and let IP literals through as getaddrinfo would."""
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host in names:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (names[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(ssrf, "resolve", resolve)


REFUSED = ["http://127.0.0.1:8080/hooks", "https://localhost/hooks", "https://[::1]/hooks",
           "https://[::ffff:127.0.0.1]/hooks", "https://10.1.2.3/hooks", "https://192.168.0.2/hooks",
           "http://169.254.169.254/latest/meta-data", "https://0.0.0.0/hooks", "https://hooks.internal.test/x",
           "ftp://example.com/x", "https://user:pw@hooks.example.com/x", "https://hooks.example.com:99999/x", ""]


def test_registration_refuses_private_loopback_and_metadata_addresses(db, monkeypatch):
    fake_dns(monkeypatch, {"hooks.internal.test": "127.0.0.1", "hooks.example.com": "93.184.216.34"})
    user = new_user(db)
    for url in REFUSED:
        with db() as s, pytest.raises(UserError) as refused:
            webhooks.register(s, user_id=user.id, url=url)
        assert refused.value.params["field"] == "url", url
    # The tests' allowance is narrow: loopback only, never private or metadata addresses, never in production.
    monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "1")
    reset_caches()
    with db() as s:
        assert webhooks.register(s, user_id=user.id, url="http://127.0.0.1:8080/hooks").secret.startswith("whsec_")
    for url in ("https://10.1.2.3/hooks", "http://169.254.169.254/latest/meta-data", "https://172.16.0.1/x"):
        with db() as s, pytest.raises(UserError):
            webhooks.register(s, user_id=user.id, url=url)
    monkeypatch.setenv("PALETT_ENV", "production")
    reset_caches()
    for url in ("https://127.0.0.1/hooks", "http://hooks.example.com/x"):  # loopback, and plain http
        with db() as s, pytest.raises(UserError):
            webhooks.register(s, user_id=user.id, url=url)
    with db() as s:
        made = webhooks.register(s, user_id=user.id, url="https://hooks.example.com/x", description=" shop ")
        assert made.endpoint.description == "shop"
        for i in range(webhooks.MAX_ENDPOINTS - 2):
            webhooks.register(s, user_id=user.id, url=f"https://hooks.example.com/{i}")
    with db() as s, pytest.raises(UserError) as refused:
        webhooks.register(s, user_id=user.id, url="https://hooks.example.com/one-too-many")
    assert "delete one first" in refused.value.message
    with db() as s:
        actions = s.exec(select(AuditLog.action).where(AuditLog.admin_id == user.id)).all()
    assert actions.count("webhook.create") == webhooks.MAX_ENDPOINTS


def test_an_api_generation_is_announced_signed_and_its_image_fetched(client, db, receiver):  # noqa: F811
    user = new_user(db)
    secret_key = key_for(db, user.id)
    r = client.post("/api/v1/webhooks", json={"url": receiver.url, "description": "my shop"}, headers=auth(secret_key))
    assert r.status_code == 201, r.text
    endpoint = r.json()
    assert endpoint["secret"].startswith("whsec_") and endpoint["description"] == "my shop"
    assert "secret" not in client.get("/api/v1/webhooks", headers=auth(secret_key)).json()[0]  # shown once
    job_id = client.post("/api/v1/generations", json=PROMPT, headers=auth(secret_key)).json()["id"]
    assert deliveries(db) == []  # nothing before the job ends
    from palett.services.generation import pipeline

    asyncio.run(pipeline.execute(job_id))
    assert receiver.received == []  # the job's end only queued the delivery: the queue's workers send it
    assert len(deliver()) == 1
    event = receiver.verified(endpoint["secret"])
    assert event["type"] == "generation.succeeded" and event["timestamp"].endswith("Z")
    headers = receiver.received[0][0]
    assert headers["webhook-id"].startswith("msg_") and headers["content-type"] == "application/json"
    # The data is the generation as the API shows it (image URLs are signed at different moments).
    shown = client.get(f"/api/v1/generations/{job_id}", headers=auth(secret_key)).json()
    strip = lambda g: {**g, "images": [{**i, "url": ""} for i in g["images"]]}  # noqa: E731
    assert strip(event["data"]) == strip(shown) and event["data"]["status"] == "succeeded"
    image = client.get(event["data"]["images"][0]["url"])
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert balance_matches_ledger(db, user.id) == 9  # charged once
    (row,) = deliveries(db)
    assert (row.status, row.attempts, row.last_status_code, row.last_response) == ("succeeded", 1, 200, "thanks")
    # A tampered body or another secret does not verify.
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(receiver.received[0][1] + b" ", headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.new_secret()).verify(receiver.received[0][1], headers)
    # A cancelled generation is announced too, as generation.canceled, and refunded.
    job_id = client.post("/api/v1/generations", json=PROMPT, headers=auth(secret_key)).json()["id"]
    assert client.delete(f"/api/v1/generations/{job_id}", headers=auth(secret_key)).status_code == 200
    deliver()
    event = receiver.verified(endpoint["secret"])
    assert (event["type"], event["data"]["id"], event["data"]["charged"]) == ("generation.canceled", job_id, 0)
    assert balance_matches_ledger(db, user.id) == 9


def test_a_failed_fal_job_is_announced_as_failed_and_refunded(db, fal_on, receiver):
    from tests.integration.test_pipeline_fal import run_job

    user = new_user(db)
    with db() as s:
        secret = webhooks.register(s, user_id=user.id, url=receiver.url).secret
    fal_on.behave("fal-ai/flux/dev", "fail")
    job_id = run_job(db, user.id, model="flux-dev")
    deliver()
    event = receiver.verified(secret)
    assert event["type"] == "generation.failed" and event["data"]["id"] == job_id
    assert event["data"]["charged"] == 0 and event["data"]["error"]
    assert balance_matches_ledger(db, user.id) == 10
    # A user without endpoints costs nothing: no rows.
    other = new_user(db, email="quiet@example.com")
    run_job(db, other.id, model="flux-dev")
    assert len(deliveries(db)) == 1


def test_test_events_redelivery_rotation_and_the_delivery_log(client, db, receiver):  # noqa: F811
    user = new_user(db)
    secret_key = key_for(db, user.id)
    endpoint = client.post("/api/v1/webhooks", json={"url": receiver.url}, headers=auth(secret_key)).json()
    r = client.post(f"/api/v1/webhooks/{endpoint['id']}/test", headers=auth(secret_key))
    assert r.status_code == 202 and r.json()["status"] == "pending" and r.json()["event_type"] == "webhook.test"
    deliver()
    assert receiver.verified(endpoint["secret"])["type"] == "webhook.test"
    first = r.json()["id"]
    again = client.post(f"/api/v1/webhooks/deliveries/{first}/redeliver", headers=auth(secret_key))
    assert again.status_code == 202 and again.json()["id"] != first
    assert again.json()["message_id"] == r.json()["message_id"]
    deliver()
    assert receiver.received[0][0]["webhook-id"] == receiver.received[1][0]["webhook-id"]
    page = client.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries", params={"limit": 1},
                      headers=auth(secret_key)).json()
    assert [d["id"] for d in page["data"]] == [again.json()["id"]] and page["next_cursor"] == again.json()["id"]
    rest = client.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries", params={"before": page["next_cursor"]},
                      headers=auth(secret_key)).json()
    assert [(d["id"], d["last_status_code"], d["status"]) for d in rest["data"]] == [(first, 200, "succeeded")]
    # Rotation: the new secret is shown once; for a day, deliveries verify with the old one too.
    rotated = client.post(f"/api/v1/webhooks/{endpoint['id']}/rotate-secret", headers=auth(secret_key)).json()
    assert rotated["secret"] != endpoint["secret"]
    client.post(f"/api/v1/webhooks/{endpoint['id']}/test", headers=auth(secret_key))
    deliver()
    assert receiver.verified(rotated["secret"]) == receiver.verified(endpoint["secret"])
    # Disabled: no events for finished jobs (a test event still goes: that is how one checks an endpoint).
    r = client.patch(f"/api/v1/webhooks/{endpoint['id']}", json={"disabled": True}, headers=auth(secret_key))
    assert r.json()["disabled"] is True
    job_id = client.post("/api/v1/generations", json=PROMPT, headers=auth(secret_key)).json()["id"]
    client.delete(f"/api/v1/generations/{job_id}", headers=auth(secret_key))
    assert len(deliveries(db)) == 3
    assert client.delete(f"/api/v1/webhooks/{endpoint['id']}", headers=auth(secret_key)).status_code == 204
    assert client.get("/api/v1/webhooks", headers=auth(secret_key)).json() == [] and deliveries(db) == []
    with db() as s:
        actions = set(s.exec(select(AuditLog.action).where(AuditLog.admin_id == user.id)).all())
    assert {"webhook.create", "webhook.rotate_secret", "webhook.disable", "webhook.delete"} <= actions


def test_another_users_ids_are_not_found_and_scopes_apply(client, db, receiver):  # noqa: F811
    owner = key_for(db, new_user(db).id)
    endpoint = client.post("/api/v1/webhooks", json={"url": receiver.url}, headers=auth(owner)).json()
    delivery = client.post(f"/api/v1/webhooks/{endpoint['id']}/test", headers=auth(owner)).json()
    eve = key_for(db, new_user(db, email="eve@example.com").id)
    eid, did = endpoint["id"], delivery["id"]
    for method, path in (("delete", f"/webhooks/{eid}"), ("post", f"/webhooks/{eid}/test"),
                         ("get", f"/webhooks/{eid}/deliveries"), ("post", f"/webhooks/{eid}/rotate-secret"),
                         ("post", f"/webhooks/deliveries/{did}/redeliver"), ("delete", "/webhooks/999999")):
        assert_problem(client.request(method, f"/api/v1{path}", headers=auth(eve)), 404, "not-found")
    assert_problem(client.patch(f"/api/v1/webhooks/{eid}", json={"disabled": True}, headers=auth(eve)), 404,
                   "not-found")
    assert client.get("/api/v1/webhooks", headers=auth(eve)).json() == []
    reader = key_for(db, new_user(db, email="reader@example.com").id, scopes=["read"])
    assert_problem(client.post("/api/v1/webhooks", json={"url": receiver.url}, headers=auth(reader)), 403,
                   "forbidden-scope")
    body = assert_problem(client.post("/api/v1/webhooks", json={"url": "https://10.0.0.1/x"}, headers=auth(owner)),
                          422, "invalid-input")
    assert body["field"] == "url" and "public addresses" in body["detail"]
    schema = client.get("/api/v1/openapi.json").json()
    assert {"/webhooks", "/webhooks/{endpoint_id}/test", "/webhooks/deliveries/{delivery_id}/redeliver"} <= set(
        schema["paths"])


def test_the_developers_page_state_registers_tests_and_redelivers_only_ones_own(db, receiver, monkeypatch):
    from palett.state.session import SessionState
    from palett.state.webhooks import WebhooksState
    from tests.integration.test_library_states import fire, state

    alice, bob = new_user(db, email="alice@example.com"), new_user(db, email="bob@example.com")
    with db() as s:
        alices = webhooks.register(s, user_id=alice.id, url=receiver.url).endpoint.id

    async def as_bob(self):  # what Bob's session cookie would say
        with db() as s:
            user = s.get(type(bob), bob.id)
        self._show(user)
        return (1, user)

    monkeypatch.setattr(SessionState, "current_user", as_bob)
    page = state(WebhooksState)
    fire(WebhooksState.set_url_draft, page, "https://10.0.0.1/hooks")
    fire(WebhooksState.register, page)
    assert "public addresses" in page.problem and page.endpoints == [] and page.new_secret == ""
    fire(WebhooksState.set_url_draft, page, receiver.url)
    fire(WebhooksState.register, page)
    (row,) = page.endpoints
    assert page.new_secret.startswith("whsec_") and page.url_draft == "" and not page.problem
    fire(WebhooksState.send_test, page, row["id"])
    assert page.new_secret == ""  # shown once
    deliver()
    fire(WebhooksState.show_log, page, row["id"])
    assert [(d["event"], d["status"], d["code"]) for d in page.deliveries] == [("webhook.test", "succeeded", "200")]
    fire(WebhooksState.redeliver, page, page.deliveries[0]["id"])
    assert len(page.deliveries) == 2
    # Alice's endpoint, whatever id the browser sends: refused, and nothing of hers shown or changed.
    for handler in (WebhooksState.send_test, WebhooksState.delete, WebhooksState.rotate):
        fire(handler, page, alices)
        assert "doesn't exist or isn't yours" in page.problem
    fire(WebhooksState.show_log, page, alices)
    assert page.deliveries == [] and page.log_for == 0
    with db() as s:
        assert webhooks.list_endpoints(s, user_id=alice.id)[0].previous_secret is None


def test_webhook_posts_honour_idempotency_keys(client, db, receiver):  # noqa: F811
    owner = key_for(db, new_user(db).id)
    once = {**auth(owner), "idempotency-key": "hook-1"}
    first = client.post("/api/v1/webhooks", json={"url": receiver.url}, headers=once)
    again = client.post("/api/v1/webhooks", json={"url": receiver.url}, headers=once)
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len(client.get("/api/v1/webhooks", headers=auth(owner)).json()) == 1
    assert_problem(client.post("/api/v1/webhooks", json={"url": receiver.url + "/other"}, headers=once), 409,
                   "idempotency-key-reused")
    endpoint_id = first.json()["id"]
    test_once = {**auth(owner), "idempotency-key": "test-1"}
    sent = [client.post(f"/api/v1/webhooks/{endpoint_id}/test", headers=test_once) for _ in range(2)]
    assert sent[0].status_code == sent[1].status_code == 202 and sent[0].json() == sent[1].json()
    assert len(deliveries(db)) == 1
    # The same key on another endpoint's path is another request; a refused request lets its key go.
    assert_problem(client.post("/api/v1/webhooks/999999/test", headers=test_once), 409, "idempotency-key-reused")
    assert_problem(client.post("/api/v1/webhooks/999999/test", headers={**auth(owner), "idempotency-key": "t2"}),
                   404, "not-found")
    assert client.post(f"/api/v1/webhooks/{endpoint_id}/test",
                       headers={**auth(owner), "idempotency-key": "t2"}).status_code == 202
