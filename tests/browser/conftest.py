"""Start the real app (Reflex prod build, single port) and drive it with Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from scripts.cluster import Proc, point_build_at, wait_ready

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

    def wait_ready(self, timeout: float) -> None:
        wait_ready(self.url, Proc("the app", self.proc, self.log), timeout)


REFLEX_RUN = [str(BIN / "reflex"), "run", "--env", "prod", "--single-port", "--loglevel", "info"]  # as `make run`


def fal_app_env(fal_emulator) -> dict[str, str]:
    """The app talks to the local Fal emulator (so FLUX, Imagen and Ideogram are enabled)."""
    from tests.fakes.fal import configure_env

    fal = configure_env(fal_emulator.port, fal_emulator.ca_file)
    return {**fal, "SSRF_ALLOW_HOSTS": "127.0.0.1,localhost", "FAL_JWKS_URL": fal_emulator.jwks_url}


@pytest.fixture(scope="session")
def app_extra_env(fal_emulator_session) -> dict[str, str]:
    return fal_app_env(fal_emulator_session)


@contextmanager
def serve_app(cwd: Path, data_dir: Path, port: int, env: dict[str, str], *, timeout: float = 420
              ) -> Iterator[RunningApp]:
    """Migrate, start `reflex run --env prod --single-port` from `cwd` (it compiles and builds the frontend),
    wait until it answers, stop it after."""
    with _serve(REFLEX_RUN, cwd, data_dir, port, env, timeout) as app:
        yield app


class SessionAppLaunch:
    """The session app (`running_app`) from this checkout, started in a thread: migrations, then `reflex run`
    (compile, frontend build into .web, which serve_session_build and the cluster test copy). Nothing here
    waits for it; `ready` does."""

    def __init__(self, tmp_path_factory, fal_emulator) -> None:
        data_dir = tmp_path_factory.mktemp("app-data")
        port = free_port()
        env = app_env(data_dir, port, fal_app_env(fal_emulator))
        self._stack = ExitStack()
        self._app: RunningApp | None = None
        self._error: Exception | None = None
        self._thread = threading.Thread(target=self._start, args=(data_dir, port, env), daemon=True)
        self._thread.start()

    def _start(self, data_dir: Path, port: int, env: dict[str, str]) -> None:
        try:
            self._app = self._stack.enter_context(_started(REFLEX_RUN, ROOT, data_dir, port, env))
        except Exception as error:  # raised by `ready`, in the tests that need the app
            self._error = error

    def ready(self, timeout: float) -> RunningApp:
        self._thread.join()
        if self._app is None:
            raise RuntimeError("the session app could not be started") from self._error
        self._app.wait_ready(timeout)
        return self._app

    def close(self) -> None:
        self._thread.join()
        self._stack.close()


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
    """Migrate, start `command`, wait until it answers, stop it after."""
    with _started(command, cwd, data_dir, port, env) as app:
        app.wait_ready(timeout)
        yield app


@contextmanager
def _started(command: list[str], cwd: Path, data_dir: Path, port: int, env: dict[str, str]
             ) -> Iterator[RunningApp]:
    """Migrate, start `command` (it may still be starting when this yields), stop it after: SIGINT, then a
    kill after 30 s.

    Only the main PID is signalled (signalling the process group hung in tests, see the notes).
    """
    subprocess.run([str(BIN / "alembic"), "upgrade", "head"], cwd=cwd, env=env, check=True, capture_output=True)
    log = data_dir / "reflex.log"
    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield RunningApp(f"http://localhost:{port}", data_dir, proc, log)
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
def running_app(tmp_path_factory, session_app_launch: SessionAppLaunch | None) -> RunningApp:
    """The app most browser tests share. tests/conftest.py started it with the run's first test, so that it
    builds while the unit and integration tests run; this waits until it answers."""
    if os.environ.get("PALETT_TEST_APP_URL"):  # iterate against an app you started yourself
        data_dir = tmp_path_factory.mktemp("app-data")
        return RunningApp(os.environ["PALETT_TEST_APP_URL"], data_dir, None, data_dir / "none.log")  # type: ignore[arg-type]
    assert session_app_launch is not None, "tests/conftest.py starts the app for every test that uses it"
    return session_app_launch.ready(300)


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
