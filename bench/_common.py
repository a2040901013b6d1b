"""Shared set-up for the benchmarks: an isolated environment, a throwaway PostgreSQL database, statistics.

Everything here talks to 127.0.0.1 only: PostgreSQL (PALETT_BENCH_PG), Redis (--redis) and the Fal emulator.
Import palett modules only after `isolate()`: it points fal_client at the emulator before fal_client is imported.
"""

from __future__ import annotations

import math
import os
import platform
import random
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("PALETT_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = "redis://127.0.0.1:6379/0"
RATE_LIMIT = "1000000/hour"  # the benchmarks measure the limiter's cost, never its refusals
# Variables a developer shell or .env could set that would change what is measured.
CLEARED = ("DATABASE_URL", "REDIS_URL", "SMTP_HOST", "PALETT_ENV", "SECRET_KEY", "GOOGLE_CLIENT_ID",
           "GITHUB_CLIENT_ID", "ADMIN_EMAILS", "FAL_KEY", "OPENAI_API_KEY", "S3_BUCKET", "S3_ENDPOINT_URL",
           "FAL_WEBHOOKS", "DISPATCH", "SIGNUP_CREDITS", "RATE_LIMIT_FREE", "RATE_LIMIT_PRO", "RATE_LIMIT_PREMIUM",
           "SSRF_ALLOW_HOSTS")


def isolate(*, redis_url: str | None = None, env: dict[str, str] | None = None) -> Path:
    """Set up the process like tests/conftest.py does; returns the temporary working folder.

    The Fal emulator's port, TLS files, FAL_*_HOST and SSL_CERT_FILE are prepared here, before anything
    imports fal_client (it reads its hosts at import). The working directory moves to a temporary folder,
    so no developer `.env` is read, and DATA_DIR (local media storage) lives there too.
    """
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.fakes.fal import configure_env, prepare_fal_env

    port, ca_file = prepare_fal_env()
    workdir = Path(tempfile.mkdtemp(prefix="palett-bench-"))
    os.chdir(workdir)
    for var in CLEARED:
        os.environ.pop(var, None)
    os.environ.update({
        "DATA_DIR": str(workdir / "data"),
        "PUBLIC_URL": "http://localhost:3000",
        "FAL_KEY": configure_env(port, ca_file)["FAL_KEY"],
        "SSRF_ALLOW_HOSTS": "127.0.0.1,localhost",
        "RATE_LIMIT_FREE": RATE_LIMIT,
        "SIGNUP_CREDITS": "1000000",
    })
    if redis_url:
        check_redis(redis_url)
        os.environ["REDIS_URL"] = redis_url
    os.environ.update(env or {})
    reset_caches()
    return workdir


def cleanup(workdir: Path) -> None:
    os.chdir(ROOT)
    shutil.rmtree(workdir, ignore_errors=True)


def check_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        message = f"Redis at {url} is not reachable ({exc}); pass --no-redis to use in-memory rate limits"
        raise SystemExit(message) from None
    finally:
        client.close()


def reset_caches() -> None:
    from palett.services.common import ratelimit
    from palett.services.common.db import engine_for
    from palett.services.generation import fal_webhooks
    from palett.settings import get_settings

    get_settings.cache_clear()
    engine_for.cache_clear()
    ratelimit.limiter.cache_clear()
    fal_webhooks.clear_cache()


@contextmanager
def temp_database() -> Iterator[str]:
    """A fresh PostgreSQL database with the app's tables, set as DATABASE_URL; dropped at the end.

    User ids start at a random offset above 10^9, so rate-limit keys (`gen:<user id>`) in a shared Redis
    never meet those of the tests or the app.
    """
    from sqlmodel import SQLModel

    import palett.models  # noqa: F401  (registers the tables)
    from palett.services.common.db import engine_for

    name = f"palett_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghij")
    reset_caches()
    try:
        SQLModel.metadata.create_all(engine_for(url))
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SELECT setval(pg_get_serial_sequence('\"user\"', 'id'), %s)",
                         (1_000_000_000 + random.randrange(100_000_000),))
        yield url
    finally:
        with suppress(Exception):
            engine_for(url).dispose()
        reset_caches()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def clear_rate_limits(user_ids: Iterable[int]) -> None:
    """Forget the benchmark's `gen:<id>` rate-limit windows (they live in Redis when REDIS_URL is set)."""
    from palett.services.common import ratelimit

    for user_id in user_ids:
        ratelimit.clear(RATE_LIMIT, f"gen:{user_id}")


def create_users(count: int, prefix: str) -> list[int]:
    """`count` verified users, each with SIGNUP_CREDITS credits granted through the ledger."""
    from palett.services.accounts import users as accounts
    from palett.services.common.db import session_scope

    ids = []
    with session_scope() as db:
        for i in range(count):
            user = accounts.create_user(db, email=f"{prefix}-{i}@bench.example", verified=True)
            assert user.id is not None
            ids.append(user.id)
    return ids


# ---- statistics and output ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); q in [0, 100]."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A plain-text table; numbers right-aligned, text left-aligned. Also valid Markdown."""
    text_rows = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in text_rows)) if text_rows else len(h) for i, h in enumerate(headers)]
    numeric = [all(_is_number(r[i]) for r in text_rows) and bool(text_rows) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.rjust(w) if n else c.ljust(w) for c, w, n in zip(cells, widths, numeric,
                                                                                        strict=True)) + " |"

    sep = "|" + "|".join(("-" * (w + 1) + ":") if n else ("-" * (w + 2)) for w, n in zip(widths, numeric,
                                                                                          strict=True)) + "|"
    return "\n".join([line(headers), sep, *(line(r) for r in text_rows)])


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "").replace("+", "").replace("x", "").replace("%", ""))
    except ValueError:
        return False
    return True


def machine() -> str:
    model = "unknown CPU"
    with suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        for row in cpuinfo:
            if row.startswith("model name"):
                model = row.split(":", 1)[1].strip()
                break
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (f"{stamp} · {os.cpu_count()} CPUs ({model}) · Python {platform.python_version()} · PostgreSQL {_pg()}"
            f" · load average before the run {loadavg()}")


def loadavg() -> str:
    """1/5/15-minute load averages: other work on the machine shows up here (ours too)."""
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


# ---- processes, from /proc ---------------------------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """`pid` and every descendant (each thread's children file; gone processes are skipped)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident set size of one process in MB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _pg() -> str:
    try:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else "?"
    except psycopg.Error:
        return "?"
