"""Start the real app (Reflex prod build, single port) and drive it with Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from scripts.cluster import point_build_at

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(data_dir: Path, port: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GOOGLE_", "GITHUB_", "SMTP_", "DATABASE_URL", "REDIS_URL", "PALETT_ENV"))}
    env.update(
        DATA_DIR=str(data_dir),
        PUBLIC_URL=f"http://localhost:{port}",
        PALETT_PORT=str(port),
        PALETT_BACKEND_PORT=str(port),
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_CHECK_LATEST_VERSION="0",
        REFLEX_HTTP_CLIENT_BIND_ADDRESS="0.0.0.0",
        REFLEX_BUN_PATH=str(ROOT / ".tools/node_modules/@oven/bun-linux-x64/bin/bun"),
        # Every browser test signs people up from this one address; the per-IP limits have their own tests.
        SIGNUP_LIMIT_PER_IP="1000/hour", MAIL_LIMIT_PER_IP="1000/hour", LOGIN_ATTEMPTS_PER_IP="1000/15 minutes",
        **(extra or {}),
    )
    return env


class RunningApp:
    def __init__(self, url: str, data_dir: Path, proc: subprocess.Popen, log: Path) -> None:
        self.url, self.data_dir, self.proc, self.log = url, data_dir, proc, log


@pytest.fixture(scope="session")
def app_extra_env(fal_emulator_session) -> dict[str, str]:
    """The app talks to the local Fal emulator (so FLUX, Imagen and Ideogram are enabled)."""
    from tests.fakes.fal import configure_env

    fal = configure_env(fal_emulator_session.port, fal_emulator_session.ca_file)
    return {**fal, "SSRF_ALLOW_HOSTS": "127.0.0.1,localhost", "FAL_JWKS_URL": fal_emulator_session.jwks_url}


@contextmanager
def serve_app(cwd: Path, data_dir: Path, port: int, env: dict[str, str], *, timeout: float = 420
              ) -> Iterator[RunningApp]:
    """Migrate, start `reflex run --env prod --single-port` from `cwd` (it compiles and builds the frontend),
    wait until it answers, stop it after."""
    command = [str(BIN / "reflex"), "run", "--env", "prod", "--single-port", "--loglevel", "info"]
    with _serve(command, cwd, data_dir, port, env, timeout) as app:
        yield app


@contextmanager
def serve_session_build(data_dir: Path, port: int, env: dict[str, str], *, timeout: float = 120
                        ) -> Iterator[RunningApp]:
    """Another app instance on `port` serving the session app's production build: no compile, no build.

    A copy of the build with its baked backend address changed (scripts/cluster.py `point_build_at`) is what
    building with this port gives, as long as `env` changes nothing the pages are compiled from
    (docs/benchmarks.md, "Test suite time").
    """
    web = data_dir / "web"
    shutil.copytree(ROOT / ".web", web, symlinks=True, ignore=shutil.ignore_patterns("node_modules"))
    point_build_at(web, port)
    command = [str(BIN / "python"), str(ROOT / "scripts" / "cluster.py"), "_serve", str(port)]
    env = {**env, "REFLEX_WEB_WORKDIR": str(web), "REFLEX_STATES_WORKDIR": str(data_dir / "states")}
    with _serve(command, ROOT, data_dir, port, env, timeout) as app:
        yield app


@contextmanager
def _serve(command: list[str], cwd: Path, data_dir: Path, port: int, env: dict[str, str], timeout: float
           ) -> Iterator[RunningApp]:
    """Migrate, start `command`, wait until it answers, stop it after.

    Only the main PID is signalled (signalling the process group hung in tests, see the notes).
    """
    subprocess.run([str(BIN / "alembic"), "upgrade", "head"], cwd=cwd, env=env, check=True, capture_output=True)
    log = data_dir / "reflex.log"
    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the app exited early:\n{log.read_text()[-4000:]}")
            try:
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200 and \
                        httpx.get(f"{url}/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"the app did not start:\n{log.read_text()[-4000:]}")
            time.sleep(1)
        yield RunningApp(url, data_dir, proc, log)
    finally:
        workers = _descendants(proc.pid)  # known before the main process goes and they are re-parented
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        live = _processes()
        for pid, started in workers.items():  # a server worker that outlived its parent (seen after a kill)
            if live.get(pid, (0, None))[1] == started:  # the same process, not a reused PID
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def _processes() -> dict[int, tuple[int, str]]:
    """PID → (parent PID, start time) from /proc (no psutil in the test requirements)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[int(stat.parent.name)] = (int(fields[1]), fields[19])
    return found


def _descendants(pid: int) -> dict[int, str]:
    """Every process started under `pid`, with its start time."""
    table = _processes()
    found: dict[int, str] = {}
    frontier = {pid}
    while frontier:
        frontier = {child for child, (parent, _) in table.items() if parent in frontier}
        found.update({child: table[child][1] for child in frontier})
    return found


@pytest.fixture(scope="session")
def running_app(tmp_path_factory, app_extra_env) -> Iterator[RunningApp]:
    data_dir = tmp_path_factory.mktemp("app-data")
    if os.environ.get("PALETT_TEST_APP_URL"):  # iterate against an app you started yourself
        yield RunningApp(os.environ["PALETT_TEST_APP_URL"], data_dir, None, data_dir / "none.log")  # type: ignore[arg-type]
        return
    port = free_port()
    with serve_app(ROOT, data_dir, port, app_env(data_dir, port, app_extra_env), timeout=300) as app:
        yield app


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: apt-get install -y chromium (make test does it)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def shots() -> Path | None:
    """Where to keep screenshots: docs/screenshots under `make screenshots`, else test-artifacts/."""
    folder = Path(os.environ.get("PALETT_SCREENSHOTS") or ROOT / "test-artifacts")
    folder = folder if folder.is_absolute() else ROOT / folder
    folder.mkdir(parents=True, exist_ok=True)
    return folder
