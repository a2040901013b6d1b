"""The Fal emulator (tests/fakes/fal.py) driven by the real fal_client, sync and async, over TLS."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import time
from typing import Any

import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from PIL import Image

from tests.fakes import fal as fal_fake
from tests.fakes.fal import FalEmulator, prepare_fal_env

PORT, CA_BUNDLE = prepare_fal_env()  # before fal_client is imported: it reads its hosts at import time

import fal_client  # noqa: E402
import fal_client.client  # noqa: E402


@pytest.fixture(autouse=True)
def fal_key(monkeypatch):
    """conftest's isolated_env turns keys off; these tests use fal_client's own env lookup."""
    monkeypatch.setenv("FAL_KEY", fal_fake.configure_env(PORT, CA_BUNDLE)["FAL_KEY"])

FLUX = "fal-ai/flux/dev"


def verify_fal_webhook(body: bytes, headers: dict[str, str], jwks: dict[str, Any], tolerance: int = 300) -> bool:
    """Fal's documented check: fresh timestamp, then an Ed25519 signature by any JWKS key."""
    try:
        request_id, user_id, stamp = (headers[f"x-fal-webhook-{h}"] for h in ("request-id", "user-id", "timestamp"))
        signature = bytes.fromhex(headers["x-fal-webhook-signature"])
        if abs(time.time() - int(stamp)) > tolerance:
            return False
    except (KeyError, ValueError):
        return False
    digest = hashlib.sha256(body).hexdigest()
    message = "\n".join([request_id, user_id, stamp, digest]).encode()
    for jwk in jwks["keys"]:
        key = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4)))
        try:
            key.verify(signature, message)
            return True
        except InvalidSignature:
            continue
    return False


def poll_until_completed(handle: fal_client.SyncRequestHandle) -> list[fal_client.Status]:
    seen = [handle.status(with_logs=True)]
    deadline = time.monotonic() + 30
    while not isinstance(seen[-1], fal_client.Completed):
        assert time.monotonic() < deadline, f"the emulated job never completed: {seen[-3:]}"
        seen.append(handle.status(with_logs=True))
    return seen


def test_env_points_fal_client_at_the_emulator(fal_emulator: FalEmulator) -> None:
    assert prepare_fal_env() == (PORT, CA_BUNDLE)  # idempotent: same port and CA
    assert fal_client.client.QUEUE_URL_FORMAT == f"https://127.0.0.1:{PORT}/" == f"{fal_emulator.base_url}/"
    assert fal_emulator.host == f"127.0.0.1:{PORT}" and fal_emulator.ca_file == CA_BUNDLE
    assert os.environ["SSL_CERT_FILE"] == str(CA_BUNDLE)


def test_sync_submit_status_result_and_image(fal_emulator: FalEmulator) -> None:
    args = {"prompt": "a red fox", "image_size": {"width": 640, "height": 384}, "num_inference_steps": 28,
            "guidance_scale": 3.5, "seed": 7}
    handle = fal_client.submit(FLUX, arguments=args)

    [record] = fal_emulator.submits(FLUX)
    assert record.input == args and record.request_id == handle.request_id
    assert record.headers["authorization"] == f"Key {os.environ['FAL_KEY']}"
    # Like Fal, the follow-up URLs drop the endpoint's sub-path (/dev).
    assert handle.status_url == f"{fal_emulator.base_url}/fal-ai/flux/requests/{handle.request_id}/status"

    seen = poll_until_completed(handle)
    assert seen[:2] == [fal_client.Queued(position=1), fal_client.Queued(position=0)]
    assert isinstance(seen[2], fal_client.InProgress) and seen[2].logs
    assert all({"message", "timestamp"} <= set(line) for line in seen[2].logs)
    done = seen[-1]
    assert isinstance(done, fal_client.Completed) and done.error is None and len(done.logs) > len(seen[2].logs)
    assert fal_client.status(FLUX, handle.request_id).logs is None  # logs only with ?logs=1

    result = fal_client.result(FLUX, handle.request_id)  # get_handle builds the URL itself
    assert (result["seed"], result["has_nsfw_concepts"], result["prompt"]) == (7, [False], "a red fox")
    [image] = result["images"]
    assert (image["width"], image["height"], image["content_type"]) == (640, 384, "image/png")
    png = httpx.get(image["url"], verify=fal_emulator.ssl_context()).raise_for_status().content
    assert Image.open(io.BytesIO(png)).size == (640, 384)


async def test_async_client_subscribe_and_poll(fal_emulator: FalEmulator) -> None:
    client = fal_client.AsyncClient()  # a fresh client: its httpx pool belongs to this test's event loop
    updates: list[fal_client.Status] = []
    ultra = {"prompt": "a lighthouse", "aspect_ratio": "16:9", "raw": True}
    result = await client.subscribe("fal-ai/flux-pro/v1.1-ultra", ultra, with_logs=True,
                                    on_queue_update=updates.append)
    assert [type(u).__name__ for u in updates] == ["Queued", "Queued", "InProgress", "InProgress", "Completed"]
    assert (result["images"][0]["width"], result["images"][0]["height"]) == (1024, 576)
    assert fal_emulator.submits("fal-ai/flux-pro/v1.1-ultra")[0].input == ultra

    handle = await client.submit("fal-ai/nano-banana-2", {"prompt": "a tower", "aspect_ratio": "9:16"})
    statuses = [await handle.status(with_logs=True)]
    deadline = time.monotonic() + 30
    while not isinstance(statuses[-1], fal_client.Completed):
        assert time.monotonic() < deadline, f"the emulated job never completed: {statuses[-3:]}"
        statuses.append(await handle.status(with_logs=True))
    assert isinstance(statuses[0], fal_client.Queued) and any(isinstance(s, fal_client.InProgress) for s in statuses)
    output = await client.result("fal-ai/nano-banana-2", handle.request_id)
    assert (output["images"][0]["width"], output["images"][0]["height"]) == (576, 1024)


def test_cancel_in_progress_request(fal_emulator: FalEmulator) -> None:
    fal_emulator.behave(FLUX, "hang")
    handle = fal_client.submit(FLUX, arguments={"prompt": "slow"})
    statuses = [handle.status(with_logs=True) for _ in range(5)]
    assert isinstance(statuses[-1], fal_client.InProgress)  # hang: never completes on its own

    handle.cancel()  # 202 {"status": "CANCELLATION_REQUESTED"}
    status = handle.status(with_logs=True)
    assert isinstance(status, fal_client.Completed) and status.error_type == "client_cancelled"
    with pytest.raises(fal_client.FalClientHTTPError) as result_error:
        handle.get()
    assert (result_error.value.status_code, result_error.value.error_type) == (499, "client_cancelled")
    with pytest.raises(fal_client.FalClientHTTPError) as cancel_again:
        handle.cancel()
    assert cancel_again.value.status_code == 400
    assert cancel_again.value.response.json() == {"status": "ALREADY_COMPLETED"}
    assert fal_emulator.job(handle.request_id).cancelled


def test_hang_hits_client_timeout_which_cancels(fal_emulator: FalEmulator) -> None:
    fal_emulator.behave(FLUX, "hang")
    with pytest.raises(fal_client.FalClientTimeoutError) as timeout:
        fal_client.subscribe(FLUX, arguments={"prompt": "forever"}, client_timeout=1.2)
    assert fal_emulator.job(timeout.value.request_id).cancelled
    assert fal_emulator.submits(FLUX)[0].headers["x-fal-request-timeout"] == "1.2"


@pytest.mark.parametrize(
    ("opts", "status_code", "error_type"),
    [
        ({}, 500, "runner_server_error"),
        ({"status_code": 422, "error_type": None,
          "detail": [{"loc": ["body", "prompt"], "msg": "field required", "type": "missing"}]}, 422, None),
    ],
)
def test_failed_request_raises_from_fal_client(fal_emulator: FalEmulator, opts, status_code, error_type) -> None:
    fal_emulator.behave(FLUX, "fail", **opts)
    with pytest.raises(fal_client.FalClientHTTPError) as failure:
        fal_client.subscribe(FLUX, arguments={"prompt": "boom"})
    assert (failure.value.status_code, failure.value.error_type) == (status_code, error_type)
    assert failure.value.response.json()["detail"] == opts.get("detail", "Internal Server Error")
    status = fal_client.status(FLUX, fal_emulator.submits(FLUX)[0].request_id, with_logs=True)
    assert isinstance(status, fal_client.Completed) and status.error and status.error_type == error_type


def test_submit_http_errors_and_retries(fal_emulator: FalEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fal_client.client, "MAX_ATTEMPTS", 3)  # read per call; the default 10 takes ~1 min

    fal_emulator.behave(FLUX, "http_500", status_code=503, times=2)  # nginx 503s: fal_client retries
    fal_client.submit(FLUX, arguments={"prompt": "retry me"})
    assert [r.status_code for r in fal_emulator.requests] == [503, 503, 200]

    fal_emulator.reset()
    fal_emulator.behave(FLUX, "http_500")  # a 500 is not retried
    with pytest.raises(fal_client.FalClientHTTPError) as error:
        fal_client.submit(FLUX, arguments={"prompt": "x"})
    assert error.value.status_code == 500 and len(fal_emulator.requests) == 1

    fal_emulator.reset()
    fal_emulator.behave(FLUX, "http_500", status_code=503)  # always: gives up after MAX_ATTEMPTS
    with pytest.raises(fal_client.FalClientHTTPError) as error:
        fal_client.submit(FLUX, arguments={"prompt": "x"})
    assert error.value.status_code == 503 and len(fal_emulator.requests) == 3


def test_missing_or_wrong_key_gets_401(fal_emulator: FalEmulator) -> None:
    anonymous = httpx.post(f"{fal_emulator.base_url}/{FLUX}", json={"prompt": "x"}, verify=fal_emulator.ssl_context())
    assert anonymous.status_code == 401 and "Authentication is required" in anonymous.json()["detail"]

    fal_emulator.accepted_keys = {"good-id:good-secret"}
    with pytest.raises(fal_client.FalClientHTTPError) as error:
        fal_client.submit(FLUX, arguments={"prompt": "x"})
    assert error.value.status_code == 401
    fal_client.SyncClient(key="good-id:good-secret").submit(FLUX, arguments={"prompt": "x"})
    assert [r.status_code for r in fal_emulator.requests] == [401, 401, 200]


def test_webhook_is_signed_and_forgeries_fail(fal_emulator: FalEmulator) -> None:
    fal_emulator.behave(FLUX, "succeed", auto_complete=0.05)  # nobody polls: finish quickly
    sink = fal_emulator.sink_url()
    handle = fal_client.submit(FLUX, arguments={"prompt": "hook"}, webhook_url=sink)
    assert fal_emulator.submits(FLUX)[0].query == {"fal_webhook": sink}

    [hook] = fal_emulator.wait_for_sink()
    jwks = httpx.get(fal_emulator.jwks_url, verify=fal_emulator.ssl_context()).json()
    assert {(k["kty"], k["crv"]) for k in jwks["keys"]} == {("OKP", "Ed25519")}
    assert verify_fal_webhook(hook.body, hook.headers, jwks)
    body = hook.json()
    assert body["request_id"] == body["gateway_request_id"] == handle.request_id
    assert hook.headers["x-fal-webhook-request-id"] == handle.request_id
    assert body["status"] == "OK" and body["error"] is None and body["payload"]["images"][0]["url"]
    assert not verify_fal_webhook(hook.body.replace(b"hook", b"hack"), hook.headers, jwks)
    assert fal_emulator.webhooks[0].status_code == 200

    fal_emulator.send_webhook(sink, timestamp=int(time.time()) - 600)  # stale
    fal_emulator.send_webhook(sink, bad_signature=True)  # signed by another key
    fal_emulator.send_webhook(sink, tamper=True)  # body changed after signing
    fal_emulator.send_webhook(sink)  # genuine
    forged = fal_emulator.wait_for_sink(5)[1:]
    assert [verify_fal_webhook(h.body, h.headers, jwks) for h in forged] == [False, False, False, True]


def test_failed_request_webhook_reports_error(fal_emulator: FalEmulator) -> None:
    fal_emulator.behave(FLUX, "fail", auto_complete=0.05)
    fal_client.submit(FLUX, arguments={"prompt": "boom"}, webhook_url=fal_emulator.sink_url())
    body = fal_emulator.wait_for_sink()[0].json()
    assert (body["status"], body["error"]) == ("ERROR", "Invalid status code: 500")
    assert body["payload"] == {"detail": "Internal Server Error", "error_type": "runner_server_error"}


def test_nsfw_result(fal_emulator: FalEmulator) -> None:
    fal_emulator.behave(FLUX, "nsfw")
    result = fal_client.subscribe(FLUX, arguments={"prompt": "x", "image_size": "square"})
    assert result["has_nsfw_concepts"] == [True]
    png = httpx.get(result["images"][0]["url"], verify=fal_emulator.ssl_context()).content
    assert Image.open(io.BytesIO(png)).getextrema() == ((0, 0), (0, 0), (0, 0))  # blacked out


def test_sync_run_and_images_differ_per_seed(fal_emulator: FalEmulator) -> None:
    first = fal_client.run("fal-ai/ideogram/v3", arguments={"prompt": "logo", "seed": 1, "rendering_speed": "TURBO"})
    second = fal_client.run("fal-ai/ideogram/v3", arguments={"prompt": "logo", "seed": 2, "rendering_speed": "TURBO"})
    assert {r.kind for r in fal_emulator.requests} == {"run"}
    images = [httpx.get(r["images"][0]["url"], verify=fal_emulator.ssl_context()).content for r in (first, second)]
    assert images[0] != images[1]


def test_uploads_follow_fal_clients_own_protocol(fal_emulator: FalEmulator) -> None:
    """fal_client.upload: a CDN token from the REST host, then POST /files/upload; the URL serves the bytes."""
    png = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(png, "PNG")
    url = fal_client.upload(png.getvalue(), "image/png", "input.png")
    assert url.startswith(f"{fal_emulator.base_url}/files/") and url.endswith("-input.png")
    with httpx.Client(verify=fal_emulator.ssl_context()) as http:
        assert http.get(url).content == png.getvalue()
        denied = http.post(f"{fal_emulator.base_url}/files/upload", content=b"x",
                           headers={"authorization": "Bearer no"})
        assert denied.status_code == 401
    assert [(name.endswith("input.png"), kind) for name, kind, _ in fal_emulator.uploads] == [(True, "image/png")]


def test_endpoints_are_held_to_their_published_contract(fal_emulator: FalEmulator) -> None:
    """A body outside the schema fails like Fal's validation (422); an answer has the endpoint's own shape."""
    with pytest.raises(fal_client.client.FalClientHTTPError) as err:
        fal_client.run("fal-ai/esrgan", arguments={"scale": 2, "upscaling": 2})
    assert err.value.status_code == 422
    assert sorted(tuple(d["loc"]) for d in err.value.response.json()["detail"]) == [
        ("body", "image_url"), ("body", "upscaling")]
    output = fal_client.run("fal-ai/esrgan", arguments={"image_url": "https://example.com/a.png", "scale": 2})
    assert set(output) == {"image"} and output["image"]["url"].startswith(fal_emulator.base_url)
