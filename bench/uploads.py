"""Uploads: time to check and store a ~20 MB photo, and the server's peak memory while ten arrive at once.

1. In process: a 6000x4000 noisy, photo-like JPEG at quality 98 (just under the 20 MB cap) through each
   stage of services.uploads (decode = header checks + verify + full decode; clean = orientation/ICC/modes;
   encode = JPEG q95 re-encode; thumbnail), the whole clean(), and accept_upload() into a SQLite database
   and the local media folder.
2. Over HTTP: a uvicorn subprocess serving the API app (mount_api + the upload router) on 127.0.0.1 with a
   temporary DATA_DIR (SQLite). One upload at a time, then 10 uploads at once from 10 threads (httpx), then
   an oversized body (Content-Length and chunked) followed by /api/health. Memory is the server's VmHWM
   (peak resident set) from /proc/<pid>/status, reset through /proc/<pid>/clear_refs before each phase.

    .venv/bin/python -m bench.uploads [--reps 5] [--concurrent 10]
Goals: <= 1 s per upload; bounded memory (the decode slots in services.uploads cap concurrent decodes).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image

from bench import _common as common

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024
CAP = 20 * MB


# ---- the test photo ---------------------------------------------------------------------------------------------


def make_photo(width: int = 6000, height: int = 4000, quality: int = 98) -> bytes:
    """A smooth scene with sensor-like noise, as large as fits under the cap at quality 98."""
    rng = np.random.default_rng(7)
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    scene = np.stack(np.broadcast_arrays(30 + 190 * x + 20 * y, 120 + 80 * np.sin(6 * x + 3 * y),
                                         40 + 170 * (1 - y) * (0.6 + 0.4 * x)), axis=-1)
    noise = rng.standard_normal((height, width, 3), dtype=np.float32)
    best = b""
    for sigma in (16.5, 15.5, 14.5, 13.5, 12.5, 11, 9):
        rgb = np.clip(scene + sigma * noise, 0, 255).astype(np.uint8)
        buf = io.BytesIO()
        Image.fromarray(rgb, "RGB").save(buf, "JPEG", quality=quality)
        best = buf.getvalue()
        if len(best) <= CAP - 64 * 1024:
            return best
    return best


def multipart(data: bytes, name: str = "photo.jpg", boundary: str = "benchBoundary7MA4YWxk") -> tuple[bytes, str]:
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n").encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


# ---- in process -------------------------------------------------------------------------------------------------


def timed(fn: Callable[[], Any], reps: int) -> list[float]:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def in_process(photo: bytes, reps: int) -> list[list[object]]:
    from sqlmodel import SQLModel

    import palett.models  # noqa: F401  (registers the tables)
    from palett.services.accounts import users as accounts
    from palett.services.common.db import get_engine, session_scope
    from palett.services.media import images, renditions, uploads

    SQLModel.metadata.create_all(get_engine())
    with session_scope() as db:
        user = accounts.create_user(db, email="bench-inproc@bench.example", verified=True)
        user_id = user.id or 0

    max_pixels = uploads.limits()[1]
    decoded = uploads.decode(photo, max_pixels)[0]
    cleaned = uploads.clean_pixels(decoded.copy())

    cleaned.info = {}

    def encode() -> None:
        cleaned.save(io.BytesIO(), "JPEG", quality=uploads.JPEG_QUALITY, subsampling=2)

    def accept() -> None:
        with session_scope() as db:
            uploads.accept_upload(db, user_id=user_id, data=photo, filename="IMG_1234.JPG")

    stored = uploads.clean(photo)
    rows: list[list[object]] = []
    for label, fn in [
        ("decode (sniff, header, verify, full load)", lambda: uploads.decode(photo, max_pixels)),
        ("clean pixels (orientation, ICC, modes)", lambda: uploads.clean_pixels(decoded.copy())),
        ("encode JPEG q95, 4:2:0", encode),
        ("thumbnail 384 px + display 1600 px WebP (from pixels)", lambda: renditions.make(cleaned)),
        ("  vs images.thumbnail_webp(stored bytes)", lambda: images.thumbnail_webp(stored.data)),
        ("clean() total", lambda: uploads.clean(photo)),
        ("accept_upload (clean + store + row, SQLite)", accept),
    ]:
        times = timed(fn, reps)
        rows.append([label, common.median(times), min(times), max(times)])
    rows.append([f"stored: {stored.ext} {len(stored.data) / 1e6:.1f} MB, thumb {len(stored.thumb) / 1e3:.1f} KB",
                 "", "", ""])
    return rows


# ---- over HTTP --------------------------------------------------------------------------------------------------


def server_app() -> Any:
    """uvicorn --factory target: the API app with the upload router ahead of the catch-all mount."""
    from starlette.routing import Mount

    from palett.api import mount_api, upload_routes

    async def not_found(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app: Any = mount_api(not_found)
    if not any(getattr(route, "path", "") == "/api/uploads" for route in app.routes):
        app.include_router(upload_routes.router)
        app.router.routes.sort(key=lambda route: isinstance(route, Mount))
    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k not in common.CLEARED}
        env.update({"DATA_DIR": str(workdir / "data"), "PUBLIC_URL": self.base, "PYTHONPATH": str(ROOT)})
        self.log = open(workdir / "server.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "bench.uploads:server_app", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning", "--no-access-log"],
            cwd=workdir, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/api/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise SystemExit(f"the server did not start; see {workdir / 'server.log'}")

    def status(self, field: str) -> float:
        """A /proc/<pid>/status field in MB (VmRSS, VmHWM)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def reset_peak(self) -> None:
        with suppress(OSError):
            Path(f"/proc/{self.proc.pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS

    def log_tail(self, lines: int = 30) -> str:
        self.log.flush()
        return "\n".join(Path(self.log.name).read_text().splitlines()[-lines:])

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def session_cookie(email: str) -> str:
    from palett.services.accounts import sessions
    from palett.services.accounts import users as accounts
    from palett.services.common.db import session_scope

    with session_scope() as db:
        user = accounts.create_user(db, email=email, verified=True)
        return sessions.create(db, user.id or 0)


def post(base: str, cookie: str, body: bytes | Iterator[bytes], content_type: str) -> tuple[int, float, str]:
    headers = {"origin": base, "content-type": content_type, "cookie": f"palett_session={cookie}"}
    start = time.perf_counter()
    try:
        response = httpx.post(base + "/api/uploads", content=body, headers=headers, timeout=120)
        return response.status_code, time.perf_counter() - start, response.text[:200]
    except httpx.HTTPError as exc:  # the server may close the connection while an oversized body is still going
        return 0, time.perf_counter() - start, repr(exc)


def over_http(photo: bytes, concurrent: int, workdir: Path) -> tuple[list[list[object]], dict[str, object]]:
    server = Server(workdir)
    rows: list[list[object]] = []
    notes: dict[str, object] = {}
    try:
        cookies = [session_cookie(f"bench-http-{i}@bench.example") for i in range(concurrent)]
        body, content_type = multipart(photo)
        notes["idle RSS after start (MB)"] = server.status("VmRSS")

        server.reset_peak()
        sequential = [post(server.base, cookies[0], body, content_type) for _ in range(3)]
        if not all(code == 201 for code, _, _ in sequential):
            raise SystemExit(f"uploads failed: {sequential}\n{server.log_tail()}")
        times = [t for _, t, _ in sequential]
        rows.append(["1 at a time (3 uploads)", common.median(times), max(times), server.status("VmHWM")])

        server.reset_peak()
        peak_sampler = Sampler(server)
        start = time.perf_counter()
        with ThreadPoolExecutor(concurrent) as pool:
            results = list(pool.map(lambda c: post(server.base, c, body, content_type), cookies))
        wall = time.perf_counter() - start
        peak_sampler.stop()
        if not all(code == 201 for code, _, _ in results):
            raise SystemExit(f"uploads failed: {results}\n{server.log_tail()}")
        times = [t for _, t, _ in results]
        rows.append([f"{concurrent} at once", common.median(times), max(times), server.status("VmHWM")])
        notes[f"{concurrent} at once: wall time (s)"] = round(wall, 2)
        notes[f"{concurrent} at once: server CPU-bound per upload (s)"] = round(wall / concurrent, 2)
        notes["highest RSS sampled every 20 ms during the burst (MB)"] = max(peak_sampler.samples, default=0.0)
        notes["RSS after the burst (MB)"] = server.status("VmRSS")

        server.reset_peak()
        big, big_type = multipart(b"\xff\xd8\xff" + b"\0" * (30 * MB))
        code, t, _ = post(server.base, cookies[0], big, big_type)
        notes["30 MB with Content-Length"] = f"HTTP {code or 'connection closed'} in {t * 1000:.0f} ms"
        chunks = (big[i:i + 256 * 1024] for i in range(0, len(big), 256 * 1024))
        code, t, _ = post(server.base, cookies[0], chunks, big_type)
        notes["30 MB chunked, no Content-Length"] = f"HTTP {code or 'connection closed'} in {t * 1000:.0f} ms"
        notes["/api/health afterwards"] = httpx.get(server.base + "/api/health", timeout=5).json()
        notes["peak RSS during the oversized bodies (MB)"] = server.status("VmHWM")
    finally:
        server.stop()
    return rows, notes


class Sampler:
    """Samples the server's RSS every 20 ms (the peak is VmHWM; this only keeps the curve honest)."""

    def __init__(self, server: Server) -> None:
        self.server, self._stop = server, threading.Event()
        self.samples: list[float] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(self.server.status("VmRSS"))
            time.sleep(0.02)

    def stop(self) -> None:
        self._stop.set()
        self.thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--concurrent", type=int, default=10)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="palett-bench-uploads-"))
    os.chdir(workdir)  # no developer .env
    for var in common.CLEARED:
        os.environ.pop(var, None)
    os.environ.update({"DATA_DIR": str(workdir / "data"), "PUBLIC_URL": "http://localhost:3000"})
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    common.reset_caches()
    try:
        from palett.services.media import uploads

        print(common.machine())
        started = time.perf_counter()
        photo = make_photo()
        print(f"test photo: 6000x4000 JPEG q98, {len(photo) / 1e6:.2f} MB ({len(photo) / MB:.2f} MiB), "
              f"made in {time.perf_counter() - started:.1f} s; decode slots: {uploads.DECODE_SLOTS}\n")

        rows = in_process(photo, args.reps)
        print(common.table(["in process, one 20 MB photo", "median s", "min s", "max s"], rows))
        print()
        http_rows, notes = over_http(photo, args.concurrent, workdir)
        print(common.table(["over HTTP (uvicorn, SQLite)", "median s", "slowest s", "peak RSS MB"], http_rows))
        print()
        for key, value in notes.items():
            print(f"- {key}: {value:.0f}" if isinstance(value, float) else f"- {key}: {value}")
    finally:
        os.chdir(ROOT)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
