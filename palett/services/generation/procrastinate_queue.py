"""The production job queue: procrastinate on the app's PostgreSQL database (DISPATCH=worker).

The web process enqueues through `ProcrastinateQueue` (dispatch.get_queue); `make worker` processes
(palett/worker.py) run `run_job` → `pipeline.execute`.

- Higher priority runs first (Premium jobs get 10). One procrastinate `lock` per job id keeps a job
  from running twice at once; its `queueing_lock` keeps it from waiting in the queue twice.
- Webhook deliveries: `deliver_webhooks` makes the first attempt of new ones (deferred after their row
  commits, also from inside a worker, through the same small sync pool the web process defers with);
  `retry_webhooks` runs every minute for due retries and anything whose defer was lost.
- Every minute one worker runs `sweep_jobs` → `recover`: jobs of a worker that stopped sending
  heartbeats (killed, out of memory, lost host) go back to the queue; jobs past their deadline are
  failed and refunded (pipeline.sweep); a job still queued or running in our table with nothing in
  procrastinate's queue (its defer was lost) is deferred again. A worker also recovers at start-up.
  All of this is safe to repeat: pipeline.execute does nothing for a finished job, and resumes a
  running one (polling the provider again when it already has a request id).
- procrastinate keeps its tables in their own PostgreSQL schema (SCHEMA), out of Alembic's way;
  `ensure_schema()` creates them once (the worker and the web process call it at start-up). It does not
  upgrade them: after upgrading procrastinate, apply its new files from procrastinate/sql/migrations/ in SCHEMA.

Settings (read with defaults, env names in capitals): worker_concurrency (10),
worker_heartbeat_seconds (10), worker_stalled_seconds (30: no heartbeat for that long = dead worker).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import procrastinate
import psycopg
from procrastinate.app import WorkerOptions
from procrastinate.exceptions import AlreadyEnqueued, ConnectorException
from procrastinate.schema import SchemaManager
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import col, select

from palett.models import ACTIVE, Job, utcnow
from palett.services.common.db import session_scope
from palett.services.developers import webhook_delivery
from palett.services.generation import pipeline
from palett.settings import get_settings

log = logging.getLogger(__name__)

SCHEMA = "procrastinate"
RUN_JOB = "palett.run_job"
SWEEP_JOBS = "palett.sweep_jobs"
REFILL_CREDITS = "palett.refill_credits"
DELIVER_WEBHOOKS = "palett.deliver_webhooks"
RETRY_WEBHOOKS = "palett.retry_webhooks"
SWEEP_PRIORITY = 100  # the sweeper goes before waiting jobs: it is what unblocks stuck ones
SHUTDOWN_GRACE_SECONDS = 20.0  # below the usual 30 s a container gets between SIGTERM and SIGKILL
MAX_ATTEMPTS = 5


def conninfo(url: str | None = None) -> str:
    """The app's DATABASE_URL (SQLAlchemy form, e.g. postgresql+psycopg://) as a libpq URI."""
    parsed = make_url(url or get_settings().db_url)
    if parsed.get_backend_name() != "postgresql":
        raise RuntimeError("DISPATCH=worker needs DATABASE_URL to point at PostgreSQL")
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


# ---- the app ----------------------------------------------------------------------------------------------


class RetryCrashes(procrastinate.BaseRetryStrategy):
    """Retry only what pipeline.execute could not settle itself.

    Provider failures are already failed and refunded inside execute. What escapes it is the database
    going away (execute could not even record the failure) or the worker shutting down mid-job; both
    are worth another run, since execute resumes a running job.
    """

    def get_retry_decision(
        self, *, exception: BaseException, job: procrastinate.jobs.Job
    ) -> procrastinate.RetryDecision | None:
        if job.attempts + 1 >= MAX_ATTEMPTS:
            return None
        if isinstance(exception, asyncio.CancelledError):  # aborted by a graceful shutdown
            return procrastinate.RetryDecision(retry_in={"seconds": 0})
        if isinstance(exception, OperationalError):
            return procrastinate.RetryDecision(retry_in={"seconds": 2 ** (job.attempts + 1)})
        return None


@lru_cache(maxsize=8)
def app_for(dsn: str, *, sync: bool = False) -> procrastinate.App:
    """One app per database and kind: workers run on an async pool, the web process defers through a
    small sync pool (opened here, kept for the life of the process)."""
    sizes = get_settings().db_pool_sizes  # this process's share of DB_CONNECTION_BUDGET
    pool: dict[str, Any] = {"conninfo": dsn, "kwargs": {"options": f"-c search_path={SCHEMA}"},
                            "min_size": 1, "max_size": sizes.defer if sync else sizes.queue}
    connector = procrastinate.SyncPsycopgConnector(**pool) if sync else procrastinate.PsycopgConnector(**pool)
    app = procrastinate.App(connector=connector)
    app.task(name=RUN_JOB, retry=RetryCrashes())(run_job)
    # A queueing lock so sweeps never pile up, but no run lock: a sweep killed mid-run would hold it
    # and block every later sweep, the very thing that requeues killed jobs. Two sweeps at once are safe.
    sweep = app.task(name=SWEEP_JOBS, priority=SWEEP_PRIORITY, queueing_lock=SWEEP_JOBS)
    app.periodic(cron="* * * * *")(sweep(sweep_jobs))
    refill = app.task(name=REFILL_CREDITS, priority=SWEEP_PRIORITY, queueing_lock=REFILL_CREDITS)
    app.periodic(cron="*/5 * * * *")(refill(refill_credits))
    app.task(name=DELIVER_WEBHOOKS)(deliver_webhooks)
    retry = app.task(name=RETRY_WEBHOOKS, priority=SWEEP_PRIORITY, queueing_lock=RETRY_WEBHOOKS)
    app.periodic(cron="* * * * *")(retry(retry_webhooks))
    if sync:
        app.open()
    return app


def get_app() -> procrastinate.App:
    """The worker's app for the current DATABASE_URL (open it with `async with app.open_async()`)."""
    return app_for(conninfo())


def worker_options() -> WorkerOptions:
    return {
        "concurrency": get_settings().worker_concurrency,
        "update_heartbeat_interval": get_settings().worker_heartbeat_seconds,
        "stalled_worker_timeout": get_settings().worker_stalled_seconds,
        "shutdown_graceful_timeout": SHUTDOWN_GRACE_SECONDS,
        "delete_jobs": "successful",  # our job table is the record; keep only failures here
    }


def ensure_schema() -> bool:
    """Create procrastinate's tables in SCHEMA unless they exist. True when it created them."""
    with psycopg.connect(conninfo()) as conn:  # one transaction: lock, look, create, commit
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('palett:procrastinate-schema'))")  # workers start together
        row = conn.execute("SELECT to_regclass(%s)", (f"{SCHEMA}.procrastinate_jobs",)).fetchone()
        if row and row[0] is not None:
            return False
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"')
        conn.execute(f'SET LOCAL search_path TO "{SCHEMA}"')
        conn.execute(SchemaManager.get_schema())
        log.info("worker: created procrastinate's schema %r", SCHEMA)
        return True


# ---- deferring ----------------------------------------------------------------------------------------------


def _run_job_options(job_id: int, priority: int) -> dict[str, Any]:
    key = f"job:{job_id}"
    return {"priority": priority, "lock": key, "queueing_lock": key}


def defer_job(job_id: int, priority: int = 0) -> None:
    """Queue a job for the workers (from the web process; blocking: ProcrastinateQueue runs it in a thread)."""
    app = app_for(conninfo(), sync=True)
    with contextlib.suppress(AlreadyEnqueued):  # already waiting in the queue: once is enough
        app.configure_task(RUN_JOB, **_run_job_options(job_id, priority)).defer(job_id=job_id)


def defer_webhooks(delivery_ids: list[int]) -> None:
    """Queue committed webhook deliveries for the workers (blocking; from any process and thread)."""
    ids: list[Any] = list(delivery_ids)  # procrastinate takes JSON values
    app_for(conninfo(), sync=True).configure_task(DELIVER_WEBHOOKS).defer(delivery_ids=ids)


async def defer_job_async(app: procrastinate.App, job_id: int, priority: int = 0) -> None:
    with contextlib.suppress(AlreadyEnqueued):
        await app.configure_task(RUN_JOB, **_run_job_options(job_id, priority)).defer_async(job_id=job_id)


# ---- tasks --------------------------------------------------------------------------------------------------


async def run_job(job_id: int) -> None:
    # Bounded by the job's deadline: a provider that never answers must not hold a worker slot
    # forever, or hung jobs could fill every slot and starve the sweeper that is meant to end them.
    left = await asyncio.to_thread(_seconds_to_deadline, job_id)
    try:
        await asyncio.wait_for(pipeline.execute(job_id), timeout=left + 1)
    except TimeoutError:
        await pipeline.sweep_and_cancel()


def _seconds_to_deadline(job_id: int) -> float:
    with session_scope() as db:
        job = db.get(Job, job_id)
        deadline = job.deadline_at if job else None
    if deadline is None:
        return float(get_settings().job_timeout_seconds)
    return max(0.0, (deadline - utcnow()).total_seconds())


async def sweep_jobs(timestamp: int) -> None:
    """Periodic (every minute, one worker): see `recover`."""
    await recover(get_app())


async def refill_credits(timestamp: int) -> None:
    """Periodic (every 5 minutes, one worker): Free anniversaries and yearly Pro months."""
    from palett.services.generation.dispatch import refill_credits as refill

    await refill()


async def deliver_webhooks(delivery_ids: list[int]) -> None:
    """New deliveries (a job's end, a test event, a redelivery): their first attempt."""
    await webhook_delivery.deliver_due(ids=delivery_ids)


async def retry_webhooks(timestamp: int) -> None:
    """Periodic (every minute, one worker): deliveries whose retry is due, and any whose defer was lost; then
    the log's old finished deliveries go."""
    await webhook_delivery.deliver_due()
    await asyncio.to_thread(webhook_delivery.prune)


@dataclass
class Recovered:
    stalled: list[int] = field(default_factory=list)  # procrastinate job ids put back in the queue
    timed_out: list[int] = field(default_factory=list)  # our job ids failed and refunded
    redeferred: list[int] = field(default_factory=list)  # our job ids deferred again


async def recover(app: procrastinate.App) -> Recovered:
    """Requeue jobs of dead workers, time out jobs past their deadline, defer again what was lost."""
    done = Recovered()
    stalled_after = get_settings().worker_stalled_seconds
    for stalled in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
        try:
            await app.job_manager.retry_job(stalled)
        except ConnectorException as exc:  # another worker requeued it first
            log.info("worker: stalled job %s not requeued: %r", stalled.id, exc)
            continue
        done.stalled.append(stalled.id or 0)
        # procrastinate found its worker dead: so is that worker's claim on our job, no need to wait out the lease.
        if stalled.task_name == RUN_JOB:
            await asyncio.to_thread(pipeline.release_claim, int(stalled.task_kwargs["job_id"]))  # type: ignore[arg-type]
    done.timed_out = await pipeline.sweep_and_cancel()
    queued = set()
    for status in ("todo", "doing"):
        for entry in await app.job_manager.list_jobs_async(task=RUN_JOB, status=status):
            queued.add(int(entry.task_kwargs["job_id"]))  # type: ignore[arg-type]
    for job_id, priority in await asyncio.to_thread(_active_jobs):
        if job_id not in queued:
            await defer_job_async(app, job_id, priority)
            done.redeferred.append(job_id)
    if done.stalled or done.timed_out or done.redeferred:
        log.warning("worker: recovered %s", done)
    return done


def _active_jobs() -> list[tuple[int, int]]:
    with session_scope() as db:
        rows = db.exec(select(Job.id, Job.priority).where(col(Job.status).in_(ACTIVE))).all()
        return [(job_id or 0, priority) for job_id, priority in rows]


# ---- the web process's side of the queue ------------------------------------------------------------------


class ProcrastinateQueue:
    """dispatch.JobQueue for DISPATCH=worker: jobs are deferred to `make worker` processes."""

    async def enqueue(self, job_id: int, priority: int = 0) -> None:
        await asyncio.to_thread(defer_job, job_id, priority)

    async def serve(self) -> None:
        """Lifespan task: make sure the queue's tables exist before the first defer."""
        await asyncio.to_thread(ensure_schema)

    def deliver_webhooks(self, delivery_ids: list[int]) -> None:
        defer_webhooks(delivery_ids)
