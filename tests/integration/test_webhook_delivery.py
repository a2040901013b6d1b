"""Sending webhook deliveries: retries with backoff until a receiver recovers or a day has passed, DNS checked
again at delivery (rebinding), HTTPS to the pinned address, and both job queues sending what a commit queued."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from palett.models import WebhookDelivery, utcnow
from palett.services.developers import webhook_delivery, webhook_events, webhooks
from tests.conftest import reset_caches
from tests.fakes.server import serve_in_thread
from tests.integration.test_pipeline_local import new_user
from tests.integration.test_webhooks import deliver, deliveries, fake_dns, receiver  # noqa: F401 (fixture)
from tests.integration.test_worker import pg_db  # noqa: F401 (fixture)


def test_a_failing_receiver_gets_retries_with_backoff_until_it_recovers(db, receiver):  # noqa: F811
    user = new_user(db)
    with db() as s:
        endpoint = webhooks.register(s, user_id=user.id, url=receiver.url).endpoint
        webhook_events.send_test(s, user_id=user.id, endpoint_id=endpoint.id)
    receiver.answers = [500, 503]
    start = utcnow()
    assert len(deliver(start)) == 1
    (row,) = deliveries(db)
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, 500)
    assert len(row.last_response) == webhook_delivery.EXCERPT_BYTES  # the 5,000-byte body is not kept
    assert timedelta(seconds=4.4) <= row.next_attempt_at - start <= timedelta(seconds=5.6)  # 5 s ± jitter
    assert deliver(start + timedelta(seconds=4)) == []  # not due yet
    assert len(deliver(start + timedelta(seconds=6))) == 1
    (row,) = deliveries(db)
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 2, 503)
    assert timedelta(minutes=4.4) <= row.next_attempt_at - (start + timedelta(seconds=6)) <= timedelta(minutes=5.6)
    assert len(deliver(start + timedelta(minutes=6))) == 1  # the receiver is back
    (row,) = deliveries(db)
    assert (row.status, row.attempts, row.last_status_code, row.next_attempt_at) == ("succeeded", 3, 200, None)
    assert len({headers["webhook-id"] for headers, _ in receiver.received}) == 1  # one message, three attempts


def test_a_receiver_that_never_recovers_is_given_up_after_about_a_day(db, receiver):  # noqa: F811
    user = new_user(db)
    with db() as s:
        endpoint = webhooks.register(s, user_id=user.id, url=receiver.url).endpoint
        webhook_events.send_test(s, user_id=user.id, endpoint_id=endpoint.id)
    receiver.answers = [500] * 20
    now, waited = utcnow(), timedelta()
    for _ in range(webhook_delivery.MAX_ATTEMPTS):
        assert len(deliver(now)) == 1
        (row,) = deliveries(db)
        if row.next_attempt_at is not None:
            waited += row.next_attempt_at - now
            now = row.next_attempt_at
    assert (row.status, row.attempts, row.finished_at is not None) == ("failed", webhook_delivery.MAX_ATTEMPTS, True)
    assert timedelta(hours=24) < waited < timedelta(hours=40)
    assert deliver(now + timedelta(days=2)) == [] and len(receiver.received) == webhook_delivery.MAX_ATTEMPTS
    # The log keeps finished deliveries for 30 days.
    assert webhook_delivery.prune(row.finished_at + timedelta(days=29)) == 0 and len(deliveries(db)) == 1
    assert webhook_delivery.prune(row.finished_at + timedelta(days=31)) == 1 and deliveries(db) == []


def test_delivery_checks_dns_again_and_connects_to_the_checked_address(db, receiver, monkeypatch):  # noqa: F811
    port = int(receiver.base.rsplit(":", 1)[1])
    fake_dns(monkeypatch, {"hooks.example.com": "93.184.216.34"})
    user = new_user(db)
    with db() as s:
        endpoint = webhooks.register(s, user_id=user.id, url=f"http://hooks.example.com:{port}/hooks").endpoint
        webhook_events.send_test(s, user_id=user.id, endpoint_id=endpoint.id)
    # DNS rebinding: the name now answers a loopback address, and the tests' allowance is off.
    fake_dns(monkeypatch, {"hooks.example.com": "127.0.0.1"})
    monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "0")
    reset_caches()
    deliver()
    (row,) = deliveries(db)
    assert receiver.received == [] and row.status == "pending" and row.last_error.startswith("Refused")
    assert "private, loopback or reserved" in row.last_error
    # Allowed again: the request goes to the address that was checked, with the registered name as Host.
    monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "1")
    reset_caches()
    deliver(utcnow() + timedelta(seconds=10))
    assert receiver.received[0][0]["host"] == f"hooks.example.com:{port}"
    assert deliveries(db)[0].status == "succeeded"


def test_after_commit_work_waits_for_the_outer_commit_not_a_savepoint(db):
    """The pipeline ends a job inside credits' savepoints: its event must wait for the real commit."""
    from palett.services.common.db import after_commit

    ran: list[bool] = []
    with db() as s:
        new_user(db)
        after_commit(s, lambda: ran.append(True))
        s.begin_nested().commit()
        assert ran == []
    assert ran == [True]


def test_the_in_process_queue_sends_what_was_left_then_new_deliveries_when_told(db, receiver, monkeypatch):  # noqa: F811
    from palett.services.generation import dispatch

    monkeypatch.setattr(dispatch, "WEBHOOK_POLL_SECONDS", 120)  # only being told can start a second round
    rounds: list[list[int]] = []
    real_round = webhook_delivery.deliver_due

    async def counted_round(*args, **kwargs):
        rounds.append(await real_round(*args, **kwargs))
        return rounds[-1]

    monkeypatch.setattr(webhook_delivery, "deliver_due", counted_round)
    user = new_user(db)
    with db() as s:
        endpoint = webhooks.register(s, user_id=user.id, url=receiver.url).endpoint

    def send_test() -> None:  # as a request thread does: the kick comes from the commit, in this thread
        with db() as s:
            webhook_events.send_test(s, user_id=user.id, endpoint_id=endpoint.id)

    async def until(check, what: str) -> None:
        for _ in range(200):
            if check():
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}")

    send_test()  # before the process starts (or while it was down): nobody is told, the row waits
    (left,) = deliveries(db)

    async def scenario() -> None:
        serving = asyncio.create_task(dispatch.get_queue().serve())
        try:
            await until(lambda: rounds == [[left.id]], "the first round, sending what was left")
            await asyncio.to_thread(send_test)
            await until(lambda: len(receiver.received) == 2 and len(rounds) == 2, "the new delivery's round")
        finally:
            serving.cancel()

    asyncio.run(scenario())
    assert len(rounds) == 2 and receiver.verified(endpoint.secret)["type"] == "webhook.test"
    assert [d.status for d in deliveries(db)] == ["succeeded", "succeeded"]


async def test_procrastinate_workers_send_a_job_end_and_retry_due_ones(pg_db, receiver):  # noqa: F811
    from palett import worker
    from palett.services.generation import dispatch
    from palett.services.generation import procrastinate_queue as queue
    from tests.integration.test_pipeline_local import submit

    user = new_user(pg_db)
    with pg_db() as s:
        secret = webhooks.register(s, user_id=user.id, url=receiver.url).secret
    receiver.answers = [500]
    job_id = submit(pg_db, user)
    await dispatch.enqueue(job_id, 0)
    # One slot: it runs the job, then the delivery the job's end deferred.
    await worker.serve(concurrency=1, wait=False, install_signal_handlers=False)
    assert receiver.verified(secret)["type"] == "generation.succeeded"
    (row,) = deliveries(pg_db)
    assert (row.status, row.last_status_code) == ("pending", 500)
    await queue.retry_webhooks(0)  # the periodic task, before the retry is due: nothing
    assert len(receiver.received) == 1
    with pg_db() as s:
        s.get(WebhookDelivery, row.id).next_attempt_at = utcnow()
    await queue.retry_webhooks(0)
    assert len(receiver.received) == 2 and deliveries(pg_db)[0].status == "succeeded"
    assert {queue.DELIVER_WEBHOOKS, queue.RETRY_WEBHOOKS} <= set(queue.get_app().tasks)



def test_https_deliveries_verify_the_registered_name_on_the_pinned_address(db, monkeypatch, tmp_path):
    from tests.fakes.tls import make_tls_files

    monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "1")
    good = make_tls_files(tmp_path / "good", hosts=("hooks.example.com",))
    monkeypatch.setenv("SSL_CERT_FILE", str(good.bundle))
    reset_caches()
    received: list[str] = []

    async def hook(request: Request) -> PlainTextResponse:
        received.append(request.headers["host"])
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/hooks", hook, methods=["POST"])])
    base, stop = serve_in_thread(app, ssl_certfile=str(good.cert), ssl_keyfile=str(good.key))
    try:
        port = int(base.rsplit(":", 1)[1])
        fake_dns(monkeypatch, {"hooks.example.com": "127.0.0.1", "other.example.com": "127.0.0.1"})
        user = new_user(db)
        with db() as s:
            for name in ("hooks.example.com", "other.example.com"):  # the certificate names only the first
                endpoint = webhooks.register(s, user_id=user.id, url=f"https://{name}:{port}/hooks").endpoint
                webhook_events.send_test(s, user_id=user.id, endpoint_id=endpoint.id)
        deliver()
    finally:
        stop()
    assert received == [f"hooks.example.com:{port}"]
    first, second = deliveries(db)
    assert first.status == "succeeded" and first.last_status_code == 200
    assert second.status == "pending" and second.last_status_code is None and "ConnectError" in second.last_error
