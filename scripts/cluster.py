"""The multi-machine layout on one machine (issue 12): `make cluster`, or `Cluster` in tests.

On 127.0.0.1 only it starts
- Caddy, the single public origin, in front of
- two app instances on different ports (standing in for two machines), built ONCE: instance A is
  `reflex run --env prod --single-port` (it compiles and builds the frontend with REFLEX_API_URL = the Caddy
  origin); instance B serves the same build with Reflex's production backend (`python scripts/cluster.py
  _serve PORT`, i.e. Granian with the compiled frontend mounted, no compile, no build). Given a build made
  elsewhere (`cluster(web=...)`, the browser tests' session build), both instances serve a copy of it,
- two procrastinate workers (`python -m palett.worker`),
- moto's S3 server standing in for AWS S3 (a fresh bucket),
and uses the running PostgreSQL (a fresh database, dropped at the end) and Redis (its own DB number,
flushed at start and end). Shared settings: SECRET_KEY, DISPATCH=worker, PUBLIC_URL = the Caddy origin,
TRUSTED_PROXIES=127.0.0.1, S3_BUCKET/S3_ENDPOINT_URL, GRANIAN_WORKERS (2 by default: 2 cores here).
PALETT_ENV stays unset (development mode) so sign-up mail goes to the dev outbox, shared by both instances
through one DATA_DIR; media goes to S3.

    python scripts/cluster.py [--port 8080]     # runs until Ctrl-C, then stops what it started (by PID)

Only the processes started here are signalled, each by its own PID.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PG_ADMIN = os.environ.get("PALETT_CLUSTER_PG", os.environ.get("PALETT_TEST_PG",
                                                               "postgresql://postgres@127.0.0.1:5432/postgres"))
REDIS_BASE = os.environ.get("PALETT_CLUSTER_REDIS", "redis://127.0.0.1:6379")
CADDY_TEMPLATE = ROOT / "scripts" / "Caddyfile.cluster"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


@dataclass
class Cluster:
    url: str  # the Caddy origin: the only address a browser uses
    run_dir: Path
    env: dict[str, str]  # what every app process and worker runs with
    database_url: str
    app_ports: list[int]
    procs: dict[str, Proc] = field(default_factory=dict)

    def app_url(self, index: int) -> str:
        return f"http://{HOST}:{self.app_ports[index]}"

    def instance_for(self, hostport: str) -> str:
        """'app-a' or 'app-b' for an X-Palett-Upstream value such as 127.0.0.1:41234."""
        port = int(hostport.rsplit(":", 1)[1])
        return f"app-{'ab'[self.app_ports.index(port)]}"

    def kill(self, name: str) -> None:
        """kill -9 one of our processes (an app instance: its Granian workers go with the main process)."""
        proc = self.procs[name]
        children = _children(proc.popen.pid)
        proc.popen.kill()
        proc.popen.wait(timeout=10)
        for pid in children:  # Granian's workers die with their parent; make sure, by PID
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _children(pid: int) -> list[int]:
    """Every descendant of pid, from /proc (Linux)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _deploy_copy(run_dir: Path, web: Path | None = None) -> Path:
    """The tree the cluster runs from: a copy, as a deploy would have, so that its frontend build (with the
    proxy's address baked in) never replaces the one in this checkout that other app runs serve. With `web`,
    that build (without node_modules, which only building needs) becomes the copy's .web."""
    target = run_dir / "app"
    top_level = {".git", ".venv", ".tools", "models", "data", "test-artifacts", ".bench-node"}
    if web is not None:
        top_level.add(".web")

    def skip(folder: str, names: list[str]) -> set[str]:
        own = top_level if Path(folder) == ROOT else set()
        return {n for n in names if n in own or n == "__pycache__" or n.endswith("_cache")}

    shutil.copytree(ROOT, target, symlinks=True, ignore=skip)
    for shared in (".venv", ".tools", "models"):  # installed once per machine, not per deploy
        if (ROOT / shared).exists():
            (target / shared).symlink_to(ROOT / shared)
    if web is not None:
        shutil.copytree(web, target / ".web", symlinks=True, ignore=shutil.ignore_patterns("node_modules"))
    return target


def point_build_at(web: Path, port: int) -> None:
    """Change the backend address baked into a built frontend (`web`, a .web folder) to localhost:`port`.

    Reflex bakes it into one chunk of the build (`reflex-env-*.js`, six endpoint URLs from env.json); nothing
    else in the build depends on it, so the result is what building for that address gives, as long as the
    pages were compiled under the same settings (docs/benchmarks.md, "Test suite time"). Changed: the chunk,
    its gzip twin (served first) and env.json.
    """
    baked = urlsplit(json.loads((web / "env.json").read_text())["PING"]).netloc  # localhost:<port built for>
    chunks = list((web / "build" / "client" / "assets").glob("reflex-env-*.js"))
    assert len(chunks) == 1, f"expected one reflex-env chunk in the build, found {chunks}"
    for path in (web / "env.json", chunks[0]):
        text = path.read_text()
        assert text.count(baked) == 6, f"{path.name} no longer holds the six endpoint URLs: check point_build_at"
        path.write_text(text.replace(baked, f"localhost:{port}"))
    for twin in chunks[0].parent.glob(chunks[0].name + ".*"):
        twin.unlink()
    gz = chunks[0].with_name(chunks[0].name + ".gz")
    gz.write_bytes(gzip.compress(chunks[0].read_bytes(), mtime=0))


def _start(name: str, cmd: list[str], env: dict[str, str], run_dir: Path, cwd: Path = ROOT) -> Proc:
    log = run_dir / f"{name}.log"
    with log.open("w") as out:
        popen = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                 start_new_session=True)  # Ctrl-C reaches only this script; we stop the rest
    return Proc(name, popen, log)


def _stop(proc: Proc, timeout: float = 20) -> None:
    if proc.alive():
        children = _children(proc.popen.pid)
        proc.popen.send_signal(signal.SIGINT if proc.name.startswith("app") else signal.SIGTERM)
        try:
            proc.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.popen.kill()
            proc.popen.wait(timeout=10)
        for pid in children:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def wait_http(url: str, proc: Proc | None, timeout: float, ok=(200,)) -> None:
    """Until `url` answers with one of `ok`; fails early (with the log's tail) if `proc` exits."""
    import httpx

    deadline = time.time() + timeout
    while True:
        if proc is not None and not proc.alive():
            raise RuntimeError(f"{proc.name} exited early:\n{proc.tail()}")
        try:
            if httpx.get(url, timeout=3).status_code in ok:
                return
        except httpx.HTTPError:
            pass
        if time.time() > deadline:
            raise RuntimeError(f"{url} did not answer in {timeout:.0f} s" + (f":\n{proc.tail()}" if proc else ""))
        time.sleep(0.5)


def wait_ready(url: str, proc: Proc | None, timeout: float) -> None:
    """Until an app instance answers on /api/health, then on / (a `reflex run` compiles and builds first)."""
    deadline = time.time() + timeout
    wait_http(f"{url}/api/health", proc, timeout)
    wait_http(f"{url}/", proc, max(1.0, deadline - time.time()))


def base_env(extra: dict[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GOOGLE_", "GITHUB_", "SMTP_", "DATABASE_URL", "REDIS_URL", "PALETT_ENV", "S3_",
                                "REFLEX_API_URL", "REFLEX_DEPLOY_URL", "STRIPE_"))}
    env.update(
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_CHECK_LATEST_VERSION="0",
        REFLEX_HTTP_CLIENT_BIND_ADDRESS="0.0.0.0",
        REFLEX_BUN_PATH=str(ROOT / ".tools/node_modules/@oven/bun-linux-x64/bin/bun"),
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true", AWS_SHARED_CREDENTIALS_FILE="/nonexistent", AWS_CONFIG_FILE="/nonexistent",
    )
    env.update(extra or {})
    return env


@contextmanager
def cluster(*, port: int = 0, extra_env: dict[str, str] | None = None, redis_db: int | None = None,
            run_dir: Path | None = None, granian_workers: int = 2, timeout: float = 420, web: Path | None = None
            ) -> Iterator[Cluster]:
    """Start the whole layout, yield it once Caddy answers through both instances, stop everything after.

    `web`: an already-built frontend (a .web folder) that both instances serve, its backend address changed to
    the proxy's, instead of building one. Its pages must have been compiled under settings that compile them
    the same way (FAL_KEY set or not does change them; REDIS_URL, DATABASE_URL, S3 and Stripe settings do not).
    """
    import boto3
    import psycopg
    import redis
    from moto.server import ThreadedMotoServer

    caddy = shutil.which("caddy")
    if not caddy:
        raise RuntimeError("caddy is missing: apt-get install -y caddy (make setup-dev does it)")
    run_dir = Path(run_dir or tempfile.mkdtemp(prefix="palett-cluster-"))
    run_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    url = f"http://localhost:{port}"
    db_name = f"palett_cluster_{uuid.uuid4().hex[:10]}"
    if redis_db is None and os.environ.get("PALETT_CLUSTER_REDIS_DB"):
        redis_db = int(os.environ["PALETT_CLUSTER_REDIS_DB"])
    claimed = redis_db is None  # a DB we pick is empty but for our claim; one we are given is flushed first
    redis_db = _claim_redis_db(db_name) if redis_db is None else redis_db
    redis_url = f"{REDIS_BASE}/{redis_db}"
    app_ports = [free_port(), free_port()]

    with ExitStack() as stack:
        # PostgreSQL: a fresh database on the running server.
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{db_name}"')

        def drop_db() -> None:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')

        stack.callback(drop_db)
        database_url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{db_name}".replace("postgresql://", "postgresql+psycopg://", 1)

        # Redis: our own DB number, empty (emptied again at the end, our claim with it).
        if not claimed:
            redis.Redis.from_url(redis_url).flushdb()
        stack.callback(lambda: redis.Redis.from_url(redis_url).flushdb())

        # S3: moto's server and a fresh bucket (its per-request log lines are not wanted here).
        import logging

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        moto = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
        moto.start()
        stack.callback(moto.stop)
        moto_url = f"http://{HOST}:{moto.get_host_and_port()[1]}"
        bucket = f"palett-{uuid.uuid4().hex[:12]}"

        env = base_env(extra_env)
        boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1",
                     aws_access_key_id="testing", aws_secret_access_key="testing").create_bucket(Bucket=bucket)
        data_dir = run_dir / "data"
        data_dir.mkdir(exist_ok=True)
        processes = 2 * granian_workers + 2
        env.update(
            DATA_DIR=str(data_dir),
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            RATE_LIMIT_KEY_PREFIX=f"palett-cluster-{db_name}",
            SECRET_KEY=env.get("SECRET_KEY") or secrets.token_urlsafe(32),
            DISPATCH="worker",
            PUBLIC_URL=url,
            TRUSTED_PROXIES=HOST,
            S3_BUCKET=bucket,
            S3_ENDPOINT_URL=moto_url,
            GRANIAN_WORKERS=str(granian_workers),
            DB_CONNECTION_BUDGET=env.get("DB_CONNECTION_BUDGET", "60"),  # 6 processes of settings.MIN_DB_SHARE fit
            DB_PROCESSES=str(processes),
            WORKER_CONCURRENCY=env.get("WORKER_CONCURRENCY", "4"),
            REFLEX_API_URL=url,  # baked into the one frontend build: the browser talks only to Caddy
            REFLEX_DEPLOY_URL=url,
        )

        # Migrations: once, before anything starts (app and workers refuse another revision).
        app_root = _deploy_copy(run_dir, web)
        if web is not None:
            point_build_at(app_root / ".web", port)  # the Caddy origin, as REFLEX_API_URL gives a build
        subprocess.run([str(BIN / "alembic"), "upgrade", "head"], cwd=app_root, env=env, check=True,
                       capture_output=True)

        procs: dict[str, Proc] = {}

        def stop_all() -> None:
            for proc in reversed(list(procs.values())):
                _stop(proc)

        stack.callback(stop_all)
        c = Cluster(url=url, run_dir=run_dir, env=env, database_url=database_url, app_ports=app_ports, procs=procs)

        # Workers first (they start in ~2 s while the frontend builds).
        for name in ("worker-1", "worker-2"):
            procs[name] = _start(name, [str(BIN / "python"), "-m", "palett.worker"], env, run_dir, app_root)

        def start_app(index: int, command: list[str]) -> None:
            port_ = str(app_ports[index])
            name = f"app-{'ab'[index]}"
            procs[name] = _start(name, command, {**env, "PALETT_PORT": port_, "PALETT_BACKEND_PORT": port_},
                                 run_dir, app_root)

        def wait_app(index: int, health_timeout: float) -> None:
            wait_ready(c.app_url(index), procs[f"app-{'ab'[index]}"], health_timeout + 60)

        serve = [str(BIN / "python"), str(app_root / "scripts" / "cluster.py"), "_serve"]
        if web is None:
            # Instance A compiles the app and builds the frontend once, then serves it; instance B serves the
            # same build: no compile, no second frontend build.
            start_app(0, [str(BIN / "reflex"), "run", "--env", "prod", "--single-port", "--loglevel", "info"])
            wait_app(0, timeout)
            start_app(1, [*serve, str(app_ports[1])])
            wait_app(1, 120)
        else:  # both serve the given build, started together
            for index in (0, 1):
                start_app(index, [*serve, str(app_ports[index])])
            for index in (0, 1):
                wait_app(index, 120)

        # Caddy, from the template.
        caddyfile = run_dir / "Caddyfile"
        caddyfile.write_text(Template(CADDY_TEMPLATE.read_text()).substitute(
            storage=str(run_dir / "caddy"), site=url, bind=HOST,
            upstreams=" ".join(f"{HOST}:{p}" for p in app_ports)))
        caddy_env = {**os.environ, "XDG_DATA_HOME": str(run_dir / "caddy"), "XDG_CONFIG_HOME": str(run_dir / "caddy"),
                     "HOME": str(run_dir)}
        procs["caddy"] = _start("caddy", [caddy, "run", "--config", str(caddyfile), "--adapter", "caddyfile"],
                                caddy_env, run_dir)
        wait_http(f"{url}/api/ready", procs["caddy"], 60)
        for name in ("worker-1", "worker-2"):
            if not procs[name].alive():
                raise RuntimeError(f"{name} exited:\n{procs[name].tail()}")
        yield c


CLAIM_KEY = "palett:cluster-claim"
CLAIMABLE_DBS = range(13, 7, -1)


def _claim_redis_db(owner: str) -> int:
    """A Redis DB number no other cluster on this machine uses (tests, `make cluster` and bench/load.py may run
    at once, and each empties its DB at the end): the first of 13..8 that is empty, claimed with a key."""
    import redis

    for number in CLAIMABLE_DBS:
        r = redis.Redis.from_url(f"{REDIS_BASE}/{number}")
        if r.set(CLAIM_KEY, owner, nx=True, ex=24 * 3600):  # a run that died leaves its claim for a day
            if r.dbsize() == 1:
                return number
            r.delete(CLAIM_KEY)  # someone's data without a claim: not ours to empty
    raise RuntimeError(f"no free Redis DB among {list(CLAIMABLE_DBS)}: set PALETT_CLUSTER_REDIS_DB or --redis-db")


def _serve_built(port: int) -> None:
    """Instance B: Reflex's production backend with the already-built frontend mounted (no compile/build)."""
    from reflex import constants
    from reflex.environment import environment
    from reflex.utils import exec as rx_exec

    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    environment.REFLEX_SKIP_COMPILE.set(True)
    rx_exec.run_backend_prod(HOST, port, constants.LogLevel.INFO, mount_frontend_compiled_app=True)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "_serve":
        _serve_built(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=int(os.environ.get("CLUSTER_PORT", "8080")),
                        help="Caddy's port on 127.0.0.1 (default 8080)")
    parser.add_argument("--redis-db", type=int, default=None,
                        help="Redis DB number, flushed at start and end (default: the first free one of 13..8)")
    parser.add_argument("--granian-workers", type=int, default=2)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    stop = started = False

    def on_signal(*_: object) -> None:
        nonlocal stop
        stop = True
        if not started:  # still starting: unwind now (the context manager stops what already runs)
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)  # also when started in the background with SIGINT ignored
    try:
        with cluster(port=args.port, redis_db=args.redis_db, granian_workers=args.granian_workers) as c:
            started = True
            print(f"\n  Palett cluster on {c.url}  (instances on :{c.app_ports[0]} and :{c.app_ports[1]}, "
                  f"2 workers, S3 at {c.env['S3_ENDPOINT_URL']}, database {c.database_url.rsplit('/', 1)[1]})")
            print(f"  Logs in {c.run_dir}. Sign-up mail (verification links): {c.run_dir}/data/outbox/*.json "
                  "(the dev outbox page refuses requests relayed by a proxy). Ctrl-C stops it.\n", flush=True)
            while not stop:
                for proc in c.procs.values():
                    if not proc.alive():
                        print(f"  {proc.name} exited (code {proc.popen.returncode}); see {proc.log}", flush=True)
                        stop = True
                time.sleep(1)
    except KeyboardInterrupt:
        pass
    print("  cluster stopped", flush=True)


if __name__ == "__main__":
    main()
