"""A local emulator of Fal's queue API, speaking the wire protocol the real `fal_client` uses.

fal_client reads its hosts from FAL_RUN_HOST / FAL_QUEUE_RUN_HOST at import and only speaks https://,
so the emulator serves TLS with a throwaway CA (tests/fakes/tls.py) trusted through SSL_CERT_FILE.
Call `prepare_fal_env()` before anything imports fal_client; the `fal_emulator` fixture then serves on
the prepared port.

Queue host 127.0.0.1:PORT (FAL_QUEUE_RUN_HOST):
- POST /{owner}/{app}[/{path}][?fal_webhook=URL]   submit; 200 {status: IN_QUEUE, request_id, status_url, ...}
- GET  /{owner}/{app}/requests/{id}/status?logs=1  202 IN_QUEUE | 202 IN_PROGRESS | 200 COMPLETED
- GET  /{owner}/{app}/requests/{id}                the model's answer: 200 output, or its error status + body
- PUT  /{owner}/{app}/requests/{id}/cancel         202 CANCELLATION_REQUESTED | 400 ALREADY_COMPLETED | 404
  (like Fal, status/result/cancel URLs carry owner/app only; the full endpoint id is accepted too)
- GET  /files/{name}                               generated PNGs and uploads (public, like Fal's CDN)
- POST /storage/auth/token?storage_type=fal-cdn-v3 a CDN upload token (Key auth), as fal_client's upload asks
- POST /files/upload                               the upload itself (Bearer token) -> {access_url}
  (fal_client reads these hosts from fal_client.client.REST_URL / CDN_URL: `point_uploads_here()`)
- GET  /.well-known/jwks.json                      webhook signing key (OKP / Ed25519)
- POST /_sink/{name}                               test helper: records webhooks it receives
Run host localhost:PORT (FAL_RUN_HOST): POST /{endpoint} answers synchronously (fal_client.run).

Queue, run, status, result and cancel need `Authorization: Key <key>` (401 otherwise).

Every endpoint with a contract (tests/contracts/fal/) is held to it: a body with an unknown, wrong or missing
field fails like Fal's own validation (the result answers 422 with pydantic-style `detail` entries), and a
successful answer has the endpoint's published output shape (e.g. a single `image` for fal-ai/esrgan, a
`results` caption for Florence-2).
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import contextlib
import hashlib
import io
import json
import os
import random
import shutil
import socket
import ssl
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from PIL import Image, ImageDraw
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests import contracts
from tests.fakes.tls import TLSFiles, make_tls_files

MODES = ("succeed", "fail", "http_500", "hang", "nsfw")
DEFAULT_KEY = "fal-emulator-key-id:fal-emulator-key-secret"
QUEUE_HOSTNAME, RUN_HOSTNAME = "127.0.0.1", "localhost"  # one server; the Host header tells queue from run

# Fal's named image sizes (flux, ideogram ...); anything else falls back to aspect_ratio, then 512x512.
IMAGE_SIZES = {
    "square_hd": (1024, 1024), "square": (512, 512), "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024), "landscape_4_3": (1024, 768), "landscape_16_9": (1024, 576),
}
DEFAULTS: dict[str, Any] = {
    "queue_polls": 2,  # status polls answered IN_QUEUE (queue_position counts down to 0)
    "progress_polls": 2,  # then polls answered IN_PROGRESS, each adding a log line
    "auto_complete": 0.5,  # s without any poll after which a job finishes anyway (webhook-only callers)
    "result": None,  # dict, or callable(input) -> dict, replacing the generated image output
    # fail: the model's error, returned by the result endpoint and put in the webhook
    "status_code": 500,
    "detail": "Internal Server Error",
    "error_type": "runner_server_error",
    # http_500: how many submits fail before they work (None: all of them)
    "times": None,
}
# A gateway error page from Fal's nginx ingress: fal_client retries 502-504 only when the body says "nginx".
INGRESS_HTML = "<html><head><title>{code}</title></head><body><center><h1>{code}</h1></center><hr>" \
    "<center>nginx</center></body></html>"


@dataclass
class SubmitRecord:
    """One POST received on the queue (or run) host, whatever we answered."""

    app_id: str
    input: Any
    headers: dict[str, str]  # lower-cased names
    query: dict[str, str]
    status_code: int = 0
    request_id: str | None = None
    kind: str = "queue"  # "queue" | "run"

    @property
    def webhook_url(self) -> str | None:
        return self.query.get("fal_webhook")


@dataclass
class Webhook:
    """A webhook POST: sent by the emulator (`.webhooks`) or received by its sink (`.sink`)."""

    url: str
    body: bytes
    headers: dict[str, str]
    status_code: int | None = None  # what the receiver answered (sent webhooks)
    error: str | None = None  # transport error while delivering

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Job:
    request_id: str
    app_id: str
    input: Any
    mode: str
    opts: dict[str, Any]
    webhook_url: str | None
    polls: int = 0
    state: str = "IN_QUEUE"
    logs: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] | None = None
    error: tuple[int, Any] | None = None  # (HTTP status, JSON body) the result endpoint answers
    cancelled: bool = False
    invalid: list[dict[str, Any]] = field(default_factory=list)  # the input's contract violations
    touched: float = field(default_factory=time.monotonic)

    @property
    def done(self) -> bool:
        return self.state == "COMPLETED"

    def log(self, message: str, level: str = "INFO") -> None:
        stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        self.logs.append({"message": message, "level": level, "source": "USER", "timestamp": stamp})


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _image_size(inp: dict[str, Any]) -> tuple[int, int]:
    size = inp.get("image_size")
    if isinstance(size, dict) and isinstance(size.get("width"), int) and isinstance(size.get("height"), int):
        return size["width"], size["height"]
    if isinstance(size, str) and size in IMAGE_SIZES:
        return IMAGE_SIZES[size]
    ratio = inp.get("aspect_ratio")
    if isinstance(ratio, str) and ":" in ratio:
        with contextlib.suppress(ValueError, ZeroDivisionError):
            w, h = (float(x) for x in ratio.split(":"))
            return (1024, round(1024 * h / w)) if w >= h else (round(1024 * w / h), 1024)
    return 512, 512


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _published_shape(schema: dict[str, Any], output: dict[str, Any]) -> dict[str, Any]:
    """Endpoints that make one image (BiRefNet, ESRGAN, CodeFormer) answer `image`, not `images`."""
    props = _resolve(schema, schema).get("properties", {})
    if "image" in props and "images" not in props:
        return {**output, "image": output["images"][0]}
    return output


def _fit(schema: dict[str, Any], value: Any, node: dict[str, Any] | None = None) -> Any:
    """Drop every field the published schema does not have (recursively), keeping the rest."""
    node = _resolve(schema, schema if node is None else node)
    if isinstance(value, dict) and "properties" in node:
        return {k: _fit(schema, v, node["properties"][k]) for k, v in value.items() if k in node["properties"]}
    if isinstance(value, list) and isinstance(node.get("items"), dict):
        return [_fit(schema, v, node["items"]) for v in value]
    return value


def _answers_text(schema: dict[str, Any]) -> bool:
    """Captioning and other text endpoints (e.g. Florence-2's `{results: string}`) answer no image at all."""
    props = _resolve(schema, schema).get("properties", {})
    return not ({"image", "images"} & set(props)) and any(p.get("type") == "string" for p in props.values())


def _text_output(schema: dict[str, Any], inp: dict[str, Any]) -> dict[str, Any]:
    """Every string field of the published answer, filled with a caption of the input image's URL name."""
    name = str(inp.get("image_url", "")).rsplit("/", 1)[-1] or "image"
    caption = f"A detailed photograph ({name}) of a lighthouse on a rocky cliff at dusk, warm light in the windows."
    props = _resolve(schema, schema).get("properties", {})
    return {key: caption for key, prop in props.items() if prop.get("type") == "string"}


def _png(width: int, height: int, seed: int, black: bool) -> bytes:
    """A small real PNG whose colours depend on the seed (black, like Fal's safety checker, for NSFW)."""
    rng = random.Random(seed)
    colour = (0, 0, 0) if black else tuple(rng.randrange(256) for _ in range(3))
    img = Image.new("RGB", (width, height), colour)
    if not black:
        x, y = rng.randrange(width // 2), rng.randrange(height // 2)
        ImageDraw.Draw(img).rectangle((x, y, x + width // 3, y + height // 3), fill=tuple(255 - c for c in colour))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


class FalEmulator:
    """Fal's queue API on https://127.0.0.1:PORT. Thread-safe from tests: state lives on the server loop."""

    def __init__(self, tls: TLSFiles | None = None, *, user_id: str = "emulator-user") -> None:
        if tls is None:
            folder = tempfile.mkdtemp(prefix="fal-emulator-")
            atexit.register(shutil.rmtree, folder, True)
            tls = make_tls_files(folder)
        self.tls = tls
        self.user_id = user_id  # sent as x-fal-webhook-user-id
        self.accepted_keys: set[str] | None = None  # None: any "Key <x>" passes
        self.signing_key = Ed25519PrivateKey.generate()
        self.requests: list[SubmitRecord] = []
        self.webhooks: list[Webhook] = []
        self.sink: list[Webhook] = []
        self.jwks_fetches = 0  # GETs of the JWKS (to check that receivers cache it)
        self.port = 0
        self._behaviours: dict[str, tuple[str, dict[str, Any]]] = {}
        self._failures: dict[str, int] = {}  # http_500 answers served, per app id
        self._jobs: dict[str, Job] = {}
        self._files: dict[str, bytes] = {}
        self.uploads: list[tuple[str, str, bytes]] = []  # (file name, content type, data) received on /files/upload
        self._upload_tokens: set[str] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.app = Starlette(
            routes=[
                Route("/.well-known/jwks.json", self._jwks_endpoint, methods=["GET"]),
                Route("/files/{name}", self._file, methods=["GET"]),
                Route("/files/upload", self._upload, methods=["POST"]),
                Route("/storage/auth/token", self._upload_token, methods=["POST"]),
                Route("/storage/upload/initiate", self._no_fallback_upload, methods=["POST"]),
                Route("/_sink/{name}", self._sink_endpoint, methods=["POST"]),
                Route("/{app:path}/requests/{request_id}/status", self._status, methods=["GET"]),
                Route("/{app:path}/requests/{request_id}/cancel", self._cancel, methods=["PUT"]),
                Route("/{app:path}/requests/{request_id}", self._result, methods=["GET"]),
                Route("/{app_id:path}", self._submit, methods=["POST"]),
            ]
        )

    # ---- lifecycle -------------------------------------------------------------------------------------

    def start(self, port: int) -> FalEmulator:
        self.port = port
        config = uvicorn.Config(
            self.app, host=QUEUE_HOSTNAME, port=port, log_level="warning", lifespan="off",
            ssl_certfile=str(self.tls.cert), ssl_keyfile=str(self.tls.key), timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)

        async def serve() -> None:
            self._loop = asyncio.get_running_loop()
            await self._server.serve()  # type: ignore[union-attr]

        self._thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True, name=f"fal-emulator:{port}")
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"Fal emulator did not start on port {port} (port taken?)")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            # force_exit: do not wait for clients' idle keep-alive TLS connections (fal_client pools them).
            self._server.should_exit = self._server.force_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self._server = self._thread = self._loop = None

    @property
    def host(self) -> str:
        return f"{QUEUE_HOSTNAME}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"https://{self.host}"

    @property
    def run_base_url(self) -> str:
        return f"https://{RUN_HOSTNAME}:{self.port}"

    @property
    def ca_file(self) -> Path:
        """CA bundle that trusts the emulator (pass it to httpx as verify=ssl.create_default_context(cafile=...))."""
        return self.tls.bundle

    @property
    def jwks_url(self) -> str:
        return f"{self.base_url}/.well-known/jwks.json"

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    # ---- test controls ---------------------------------------------------------------------------------

    def behave(self, app_id: str, mode: str, **opts: Any) -> None:
        """Set how `app_id` (the full endpoint id, e.g. fal-ai/flux/dev) answers requests submitted from now on.

        Modes: succeed | fail | http_500 | hang | nsfw. Options: see DEFAULTS.
        """
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")
        unknown = set(opts) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown options {sorted(unknown)}")
        self._behaviours[app_id] = (mode, opts)
        self._failures.pop(app_id, None)

    def reset(self) -> None:
        """Forget behaviours, jobs, files and recordings (cancels pending timers and deliveries)."""

        def clear() -> None:
            for task in self._tasks:
                task.cancel()
            self._tasks.clear()
            self._jobs.clear()
            self._files.clear()

        self._on_loop(clear)
        self.uploads.clear()
        self._behaviours.clear()
        self._failures.clear()
        self.requests.clear()
        self.webhooks.clear()
        self.sink.clear()
        self.jwks_fetches = 0
        self.accepted_keys = None

    def submits(self, app_id: str | None = None) -> list[SubmitRecord]:
        """Recorded submits that were accepted (optionally for one endpoint id)."""
        return [r for r in self.requests if r.request_id and (app_id is None or r.app_id == app_id)]

    def job(self, request_id: str) -> Job:
        return self._jobs[request_id]

    def finish(self, request_id: str) -> None:
        """Complete a job now, as its mode says (a `hang` job completes successfully)."""
        self._on_loop(lambda: self._finish(self._jobs[request_id]))

    def sink_url(self, name: str = "default") -> str:
        return f"{self.base_url}/_sink/{name}"

    def wait_for_sink(self, count: int = 1, timeout: float = 5.0) -> list[Webhook]:
        deadline = time.monotonic() + timeout
        while len(self.sink) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.sink)} webhook(s) reached the sink, expected {count}")
            time.sleep(0.01)
        return list(self.sink)

    def image(self, name: str) -> bytes:
        return self._files[name]

    # ---- webhook signing -------------------------------------------------------------------------------

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.signing_key.public_key()

    def jwks(self) -> dict[str, Any]:
        raw = self.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        kid = hashlib.sha256(raw).hexdigest()[:16]
        return {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw), "kid": kid, "use": "sig", "alg": "EdDSA"}]}

    def webhook_body(self, request_id: str, payload: Any, status: str = "OK", error: str | None = None) -> bytes:
        body = {"request_id": request_id, "gateway_request_id": request_id, "status": status, "payload": payload,
                "error": error}
        return json.dumps(body).encode()

    def sign_webhook(
        self, body: bytes, request_id: str, *, timestamp: int | None = None, user_id: str | None = None,
        key: Ed25519PrivateKey | None = None,
    ) -> dict[str, str]:
        """Fal's headers: hex Ed25519 signature over request_id, user_id, timestamp, sha256hex(body), \\n-joined."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        user = self.user_id if user_id is None else user_id
        message = b"\n".join([request_id.encode(), user.encode(), stamp.encode(),
                              hashlib.sha256(body).hexdigest().encode()])
        return {
            "content-type": "application/json",
            "x-fal-webhook-request-id": request_id,
            "x-fal-webhook-user-id": user,
            "x-fal-webhook-timestamp": stamp,
            "x-fal-webhook-signature": (key or self.signing_key).sign(message).hex(),
        }

    def send_webhook(
        self, url: str, request_id: str | None = None, payload: Any = None, *, status: str = "OK",
        error: str | None = None, timestamp: int | None = None, bad_signature: bool = False, tamper: bool = False,
    ) -> httpx.Response:
        """POST a Fal-style webhook from the test, optionally forged: stale `timestamp` (unix s), signature by
        another key (`bad_signature`) or body changed after signing (`tamper`)."""
        request_id = request_id or str(uuid.uuid4())
        body = self.webhook_body(request_id, {} if payload is None else payload, status, error)
        key = Ed25519PrivateKey.generate() if bad_signature else None
        headers = self.sign_webhook(body, request_id, timestamp=timestamp, key=key)
        if tamper:
            body = body.replace(b'"status": "', b'"status":  "', 1)  # same JSON meaning, different bytes
        return httpx.post(url, content=body, headers=headers, verify=self.ssl_context(), timeout=10)

    # ---- internals -------------------------------------------------------------------------------------

    def _on_loop(self, fn: Callable[[], Any]) -> Any:
        """Run fn on the server loop (where all job state changes), or inline when not serving."""
        loop = self._loop
        if loop is None or not loop.is_running() or threading.current_thread() is self._thread:
            return fn()

        async def call() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(call(), loop).result(10)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _opts(self, job_or_app: Job | str) -> tuple[str, dict[str, Any]]:
        if isinstance(job_or_app, Job):
            return job_or_app.mode, {**DEFAULTS, **job_or_app.opts}
        mode, opts = self._behaviours.get(job_or_app, ("succeed", {}))
        return mode, {**DEFAULTS, **opts}

    def _unauthorized(self, request: Request, app: str) -> Response | None:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme != "Key" or not key.strip():
            owner_app = "/".join(app.split("/")[:2])
            detail = f"Cannot access application '{owner_app}'. Authentication is required to access this application."
            return JSONResponse({"detail": detail}, 401)
        if self.accepted_keys is not None and key not in self.accepted_keys:
            return JSONResponse({"detail": "No user found for Key ID and Secret"}, 401)
        return None

    def _urls(self, job: Job) -> dict[str, str]:
        # Fal's status/result/cancel URLs use owner/app only, without the endpoint's sub-path.
        base = f"{self.base_url}/{'/'.join(job.app_id.split('/')[:2])}/requests/{job.request_id}"
        return {"response_url": base, "status_url": f"{base}/status", "cancel_url": f"{base}/cancel"}

    def _lookup(self, request: Request) -> Job | Response:
        job = self._jobs.get(request.path_params["request_id"])
        app = request.path_params["app"].strip("/")
        if job is None or not (job.app_id == app or job.app_id.startswith(app + "/")):
            return JSONResponse({"detail": "Request not found"}, 404)
        return job

    def _model_output(self, job: Job) -> dict[str, Any]:
        mode, opts = self._opts(job)
        inp = job.input if isinstance(job.input, dict) else {}
        if callable(opts["result"]):
            return opts["result"](inp)
        if opts["result"] is not None:
            return opts["result"]
        contract = contracts.load("fal", job.app_id)
        if contract is not None and _answers_text(contract["output"]):
            output = _text_output(contract["output"], inp)
        else:
            output = self._generated_output(job, mode, inp)
        if contract is None:
            return output
        shaped = _fit(contract["output"], _published_shape(contract["output"], output))
        problems = contracts.errors(contract["output"], shaped)
        if problems:  # the emulator itself drifted from the contract: make that loud
            raise AssertionError(f"emulator output for {job.app_id} breaks its contract: {problems}")
        return shaped

    def _tool_output_size(self, job: Job, inp: dict[str, Any]) -> tuple[int, int] | None:
        """One-image tools answer at the input's size times their factor (`upscale_factor`/`scale`, with the
        contract's default when the body leaves it out), like CodeFormer's default of 2."""
        contract = contracts.load("fal", job.app_id)
        url = inp.get("image_url")
        if contract is None or not isinstance(url, str) or not url.startswith(f"{self.base_url}/files/"):
            return None
        if "image" not in _resolve(contract["output"], contract["output"]).get("properties", {}):
            return None
        data = self._files.get(url.rsplit("/", 1)[1])
        if data is None:
            return None
        width, height = Image.open(io.BytesIO(data)).size
        props = _resolve(contract["input"], contract["input"]).get("properties", {})
        factor = next((inp.get(k, props[k].get("default", 1)) for k in ("upscale_factor", "scale") if k in props), 1)
        return round(width * factor), round(height * factor)

    def _generated_output(self, job: Job, mode: str, inp: dict[str, Any]) -> dict[str, Any]:
        seed = inp["seed"] if isinstance(inp.get("seed"), int) else random.randrange(2**31)
        count = inp["num_images"] if isinstance(inp.get("num_images"), int) and inp["num_images"] > 0 else 1
        width, height = self._tool_output_size(job, inp) or _image_size(inp)
        images = []
        for i in range(count):
            name = f"{job.request_id}-{i}.png"
            self._files[name] = data = _png(width, height, seed + i, black=mode == "nsfw")
            images.append({"url": f"{self.base_url}/files/{name}", "width": width, "height": height,
                           "content_type": "image/png", "file_name": name, "file_size": len(data)})
        return {"images": images, "timings": {"inference": 0.42}, "seed": seed,
                "has_nsfw_concepts": [mode == "nsfw"] * count, "prompt": inp.get("prompt", ""), "description": ""}

    def _error_body(self, opts: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"detail": opts["detail"]}
        if opts["error_type"]:
            body["error_type"] = opts["error_type"]
        return body

    def _finish(self, job: Job, cancelled: bool = False) -> None:
        if job.done:
            return
        mode, opts = self._opts(job)
        if cancelled:
            job.cancelled = True
            job.error = (499, {"detail": "Request was cancelled", "error_type": "client_cancelled"})
            job.log("Request was cancelled", "WARNING")
        elif job.invalid:  # what Fal's request validation answers: 422 with one entry per bad field
            job.error = (422, {"detail": job.invalid})
            job.log(f"Invalid input: {job.invalid}", "ERROR")
        elif mode == "fail":
            job.error = (opts["status_code"], self._error_body(opts))
            job.log(f"Error: {opts['detail']}", "ERROR")
        else:
            job.result = self._model_output(job)
            job.log("Done")
        job.state = "COMPLETED"
        if job.webhook_url:
            if job.error:
                body = self.webhook_body(job.request_id, job.error[1], "ERROR", f"Invalid status code: {job.error[0]}")
            else:
                body = self.webhook_body(job.request_id, job.result)
            self._spawn(self._deliver(job.webhook_url, body, self.sign_webhook(body, job.request_id)))

    def _advance(self, job: Job) -> None:
        """One status poll: IN_QUEUE for queue_polls polls, IN_PROGRESS for progress_polls, then COMPLETED."""
        mode, opts = self._opts(job)
        job.polls += 1
        queued, working = opts["queue_polls"], opts["progress_polls"]
        if job.polls <= queued:
            return
        step = job.polls - queued
        if job.state == "IN_QUEUE":
            job.state = "IN_PROGRESS"
            job.log(f"Loading {job.app_id}")
        if mode == "hang":
            job.log(f"Still generating ({step})")
        elif step <= working:
            job.log(f"Generating: step {step}/{working}")
        else:
            self._finish(job)

    async def _auto_complete(self, job: Job, idle: float) -> None:
        # Callers that only wait for the webhook never poll: finish once nobody has polled for `idle` s.
        while not job.done:
            wait = job.touched + idle - time.monotonic()
            if wait <= 0:
                self._finish(job)
                return
            await asyncio.sleep(wait)

    async def _deliver(self, url: str, body: bytes, headers: dict[str, str]) -> None:
        record = Webhook(url, body, headers)
        try:
            async with httpx.AsyncClient(verify=self.ssl_context(), timeout=10) as client:
                record.status_code = (await client.post(url, content=body, headers=headers)).status_code
        except httpx.HTTPError as exc:
            record.error = repr(exc)
        self.webhooks.append(record)

    # ---- endpoints -------------------------------------------------------------------------------------

    async def _submit(self, request: Request) -> Response:
        app_id = request.path_params["app_id"].strip("/")
        kind = "run" if request.url.hostname == RUN_HOSTNAME else "queue"
        raw = await request.body()
        try:
            inp = json.loads(raw) if raw else None
        except ValueError:
            inp = raw.decode(errors="replace")
        record = SubmitRecord(app_id, inp, dict(request.headers), dict(request.query_params), kind=kind)
        self.requests.append(record)
        response = self._submit_answer(request, record)
        if isinstance(response, Response):
            record.status_code = response.status_code
            return response
        job = response
        if kind == "run":  # fal_client.run: no queue, the answer is the model's
            if job.mode == "hang":
                await asyncio.sleep(3600)
            self._finish(job)
            record.status_code = job.error[0] if job.error else 200
            if job.error:
                return JSONResponse(job.error[1], job.error[0], headers=self._error_headers(job))
            return JSONResponse(job.result, headers={"x-fal-request-id": job.request_id})
        record.status_code = 200
        opts = self._opts(job)[1]
        if job.mode != "hang" and opts["auto_complete"] is not None:
            self._spawn(self._auto_complete(job, opts["auto_complete"]))
        answer = {"status": "IN_QUEUE", "request_id": job.request_id, "gateway_request_id": job.request_id,
                  **self._urls(job), "queue_position": opts["queue_polls"], "logs": None, "metrics": {}}
        return JSONResponse(answer, headers={"x-fal-request-id": job.request_id})

    def _submit_answer(self, request: Request, record: SubmitRecord) -> Job | Response:
        denied = self._unauthorized(request, record.app_id)
        if denied:
            return denied
        mode, opts = self._opts(record.app_id)
        if mode == "http_500":
            served = self._failures.get(record.app_id, 0)
            if opts["times"] is None or served < opts["times"]:
                self._failures[record.app_id] = served + 1
                code = opts["status_code"]
                if code in (502, 503, 504):  # what Fal's nginx ingress answers; fal_client retries these
                    return Response(INGRESS_HTML.format(code=code), code, media_type="text/html")
                return JSONResponse({"detail": opts["detail"]}, code)
            mode = "succeed"  # the N failures are over
        _, explicit = self._behaviours.get(record.app_id, ("succeed", {}))
        job = Job(str(uuid.uuid4()), record.app_id, record.input, mode, dict(explicit), record.webhook_url)
        job.invalid = contracts.input_errors("fal", record.app_id, record.input) or []
        job.touched = time.monotonic()
        self._jobs[job.request_id] = job
        record.request_id = job.request_id
        return job

    def _error_headers(self, job: Job) -> dict[str, str]:
        headers = {"x-fal-request-id": job.request_id}
        if job.error and isinstance(job.error[1], dict) and job.error[1].get("error_type"):
            headers["x-fal-error-type"] = job.error[1]["error_type"]
        return headers

    async def _status(self, request: Request) -> Response:
        found = self._unauthorized(request, request.path_params["app"]) or self._lookup(request)
        if isinstance(found, Response):
            return found
        job = found
        job.touched = time.monotonic()
        if not job.done:
            self._advance(job)
        with_logs = request.query_params.get("logs", "0").lower() in ("1", "true")
        body: dict[str, Any] = {"status": job.state, "request_id": job.request_id, **self._urls(job),
                                "logs": list(job.logs) if with_logs else None}
        if job.state == "IN_QUEUE":
            body["queue_position"] = max(self._opts(job)[1]["queue_polls"] - job.polls, 0)
        if job.done:
            body["metrics"] = {"inference_time": 0.42}
            if job.error:
                detail = job.error[1].get("detail") if isinstance(job.error[1], dict) else None
                body["error"] = detail if isinstance(detail, str) else f"Invalid status code: {job.error[0]}"
                body["error_type"] = job.error[1].get("error_type") if isinstance(job.error[1], dict) else None
        return JSONResponse(body, 200 if job.done else 202, headers={"x-fal-request-id": job.request_id})

    async def _result(self, request: Request) -> Response:
        found = self._unauthorized(request, request.path_params["app"]) or self._lookup(request)
        if isinstance(found, Response):
            return found
        job = found
        if not job.done:
            where = "in queue" if job.state == "IN_QUEUE" else "in progress"
            return JSONResponse({"detail": f"Request is still {where}"}, 400)
        if job.error:
            return JSONResponse(job.error[1], job.error[0], headers=self._error_headers(job))
        return JSONResponse(job.result, headers={"x-fal-request-id": job.request_id})

    async def _cancel(self, request: Request) -> Response:
        found = self._unauthorized(request, request.path_params["app"]) or self._lookup(request)
        if isinstance(found, Response):
            return JSONResponse({"status": "NOT_FOUND"}, 404) if found.status_code == 404 else found
        if found.done:
            return JSONResponse({"status": "ALREADY_COMPLETED"}, 400)
        self._finish(found, cancelled=True)
        return JSONResponse({"status": "CANCELLATION_REQUESTED"}, 202)

    async def _file(self, request: Request) -> Response:
        data = self._files.get(request.path_params["name"])
        if data is None:
            return JSONResponse({"detail": "Not found"}, 404)
        return Response(data, media_type="image/png")

    async def _upload_token(self, request: Request) -> Response:
        denied = self._unauthorized(request, "storage/auth")
        if denied:
            return denied
        token = uuid.uuid4().hex
        self._upload_tokens.add(token)
        expires = datetime.fromtimestamp(time.time() + 3600, UTC).isoformat()
        return JSONResponse({"token": token, "token_type": "Bearer", "base_url": self.base_url,
                             "expires_at": expires})

    async def _upload(self, request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme != "Bearer" or token not in self._upload_tokens:
            return JSONResponse({"detail": "Invalid or expired upload token"}, 401)
        data = await request.body()
        name = f"{uuid.uuid4().hex}-{request.headers.get('x-fal-file-name', 'upload.bin')}"
        self._files[name] = data
        self.uploads.append((name, request.headers.get("content-type", ""), data))
        return JSONResponse({"access_url": f"{self.base_url}/files/{name}"})

    async def _no_fallback_upload(self, request: Request) -> Response:
        # fal_client's fallback repository (GCS via a signed PUT) is not emulated: fail it plainly.
        return JSONResponse({"detail": "storage fallback is not emulated"}, 501)

    def point_uploads_here(self) -> None:
        """fal_client's upload hosts are module constants: point them at this emulator (tests only)."""
        import fal_client.client

        fal_client.client.REST_URL = fal_client.client.CDN_URL = self.base_url

    async def _jwks_endpoint(self, request: Request) -> Response:
        self.jwks_fetches += 1
        return JSONResponse(self.jwks())

    async def _sink_endpoint(self, request: Request) -> Response:
        self.sink.append(Webhook(str(request.url), await request.body(), dict(request.headers), 200))
        return JSONResponse({"ok": True})


# ---- process set-up for pytest ---------------------------------------------------------------------------

_ENV_PORT, _ENV_TLS_DIR = "FAL_EMULATOR_PORT", "FAL_EMULATOR_TLS_DIR"
_prepared: tuple[int, TLSFiles] | None = None
_shared: FalEmulator | None = None


def configure_env(port: int, ca_file: str | os.PathLike[str]) -> dict[str, str]:
    """Env vars that point fal_client at the emulator; set them before `import fal_client`."""
    return {
        "FAL_QUEUE_RUN_HOST": f"{QUEUE_HOSTNAME}:{port}",
        "FAL_RUN_HOST": f"{RUN_HOSTNAME}:{port}",  # same server; the Host header tells run from queue
        "SSL_CERT_FILE": str(ca_file),
        "FAL_KEY": DEFAULT_KEY,
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((QUEUE_HOSTNAME, 0))
        return sock.getsockname()[1]


def prepare_fal_env() -> tuple[int, Path]:
    """Pick the port, write the TLS files and set the env vars; returns (port, CA bundle). Idempotent.

    The choice is also kept in FAL_EMULATOR_PORT / FAL_EMULATOR_TLS_DIR, so a second copy of this module
    (imported under another name) and child processes agree on it.
    """
    global _prepared
    if _prepared is None:
        port = int(os.environ.get(_ENV_PORT) or 0)
        folder = os.environ.get(_ENV_TLS_DIR)
        if port and folder and Path(folder, "bundle.pem").is_file():
            base = Path(folder)
            tls = TLSFiles(base / "ca.pem", base / "cert.pem", base / "key.pem", base / "bundle.pem")
        else:
            port, folder = _free_port(), tempfile.mkdtemp(prefix="fal-emulator-")
            atexit.register(shutil.rmtree, folder, True)
            tls = make_tls_files(folder)
        _prepared = port, tls
        os.environ.update({_ENV_PORT: str(port), _ENV_TLS_DIR: str(folder)})
        os.environ.update(configure_env(port, tls.bundle))
    port, tls = _prepared
    imported_host = getattr(sys.modules.get("fal_client.auth"), "FAL_QUEUE_RUN_HOST", None)
    if imported_host not in (None, f"{QUEUE_HOSTNAME}:{port}"):
        raise RuntimeError("fal_client was imported before prepare_fal_env(); it would talk to the real Fal")
    return port, tls.bundle


def shared_emulator() -> tuple[FalEmulator, bool]:
    """The process-wide emulator on the prepared port, and whether this call started it."""
    global _shared
    if _shared is not None:
        return _shared, False
    port, _ = prepare_fal_env()
    assert _prepared is not None
    _shared = FalEmulator(_prepared[1]).start(port)
    _shared.point_uploads_here()
    return _shared, True


@pytest.fixture(scope="session")
def fal_emulator_session() -> Iterator[FalEmulator]:
    """The emulator, started once per test session on the port prepare_fal_env() chose."""
    global _shared
    emulator, started = shared_emulator()
    yield emulator
    if started:  # a second definition of this fixture (conftest and a module) must not stop it twice
        emulator.stop()
        _shared = None


@pytest.fixture
def fal_emulator(fal_emulator_session: FalEmulator) -> Iterator[FalEmulator]:
    """The session's emulator with default behaviours and empty recordings for each test."""
    fal_emulator_session.reset()
    yield fal_emulator_session
    fal_emulator_session.reset()
