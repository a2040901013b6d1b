"""Prometheus metrics (prometheus-client). Served by /api/metrics to holders of METRICS_TOKEN only.

Several processes (Granian workers, job workers) each count their own: set PROMETHEUS_MULTIPROC_DIR to one
empty folder per machine before starting them and the endpoint adds them up (prometheus-client's
multiprocess mode). Jobs by state and the queue depth are read from the job table when scraped, so they
are right whichever process ran the jobs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlmodel import col, select

from palett.models import ACTIVE, Job

JOBS_FINISHED = Counter("palett_jobs_finished", "Jobs that reached an end state", ["operation", "status"])
QUEUE_WAIT = Histogram("palett_job_queue_wait_seconds", "From submit to the first start of a job",
                       buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300))
PROVIDER_SECONDS = Histogram("palett_provider_seconds", "Time a provider took to answer a job", ["provider"],
                             buckets=(0.1, 0.5, 1, 2, 5, 10, 20, 40, 80, 160, 320))
CREDITS = Counter("palett_credits", "Credits of jobs: reserved at submit, then captured or refunded", ["kind"])
SIGNIN_FAILURES = Counter("palett_signin_failures", "Refused password sign-ins, by reason", ["reason"])
WEBHOOKS = Counter("palett_webhooks", "Provider webhooks received, by source and outcome", ["source", "outcome"])


class _JobTable(Collector):
    """Jobs queued or running, by operation and state, straight from the job table (the truth)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from palett.services.common.db import session_scope

        family = GaugeMetricFamily("palett_jobs_active", "Jobs queued or running", labels=["operation", "status"])
        with session_scope() as db:
            rows = db.exec(select(Job.operation, Job.status, func.count()).where(col(Job.status).in_(ACTIVE))
                           .group_by(Job.operation, Job.status)).all()
        for operation, status, count in rows:
            family.add_metric([operation, status], count)
        yield family


def exposition() -> bytes:
    """The text a Prometheus scrape gets: every process's counters plus the job table's gauges."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        for collector in (JOBS_FINISHED, QUEUE_WAIT, PROVIDER_SECONDS, CREDITS, SIGNIN_FAILURES, WEBHOOKS):
            registry.register(collector)
    registry.register(_JobTable())
    return generate_latest(registry)
