"""SIGTERM while a local render hangs: the worker exits within its grace period and hands the job back."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from palett.services.generation import dispatch
from palett.services.generation import procrastinate_queue as queue
from tests.integration import test_worker
from tests.integration.test_pipeline_local import balance_matches_ledger, new_user, submit
from tests.integration.test_worker import ROOT, job, queue_rows, start_worker, stop_gracefully, wait_for

pg_db = test_worker.pg_db  # the fixture: app tables, procrastinate's schema, DISPATCH=worker
GRACE = 2.0


def start_hanging_worker(tmp_path: Path, mark: Path) -> subprocess.Popen:
    """A worker whose local renders never end (tests/fakes/hanging.py), with a GRACE-second shutdown grace."""
    log = tmp_path / "hung.log"
    env = {**os.environ, "PALETT_TEST_HANG_MARK": str(mark),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "tests.fakes.hanging", str(GRACE)], cwd=tmp_path, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    proc.args = [*proc.args, str(log)]  # type: ignore[list-item]  (wait_for prints it on failure)
    return proc


def test_sigterm_during_a_hung_local_render_exits_within_grace_and_hands_the_job_back(
        pg_db, pg_database, tmp_path):
    user = new_user(pg_db, credits_=10)
    job_id = submit(pg_db, user, num_images=1)
    cost = job(pg_db, job_id).cost
    asyncio.run(dispatch.enqueue(job_id, 0))
    mark = tmp_path / "render-started"
    hung = start_hanging_worker(tmp_path, mark)
    try:
        wait_for(mark.exists, "the render to start (and hang)", hung)
        child = int(mark.read_text())
        hung.send_signal(signal.SIGTERM)
        asked = time.monotonic()
        code = hung.wait(timeout=GRACE + 15)
        took = time.monotonic() - asked
    finally:
        hung.kill()  # only if it outlived the test's wait; its render process dies with it (PDEATHSIG)
    log = Path(hung.args[-1]).read_text()
    assert code == 0, log
    assert took < GRACE + 5, f"exited {took:.1f}s after SIGTERM (grace {GRACE}s)\n{log}"
    assert not Path(f"/proc/{child}").exists(), "the hung render's process outlived its worker"

    handed_back = job(pg_db, job_id)
    assert handed_back.status == "running" and handed_back.claimed_by is None  # resumable, nobody holds it
    assert handed_back.charged == cost and handed_back.finished_at is None  # reserved, neither captured nor refunded
    assert queue_rows(pg_database, "SELECT status FROM procrastinate_jobs WHERE task_name = %s",
                      queue.RUN_JOB) == [("todo",)]
    assert balance_matches_ledger(pg_db, user.id) == 10 - cost

    healthy = start_worker(tmp_path, "healthy")  # another worker takes it over and finishes it
    try:
        wait_for(lambda: job(pg_db, job_id).status == "succeeded", "the job to succeed on another worker", healthy)
    finally:
        stop_gracefully(healthy)
    done = job(pg_db, job_id)
    assert done.attempts == 2 and done.charged == cost
    assert balance_matches_ledger(pg_db, user.id) == 10 - cost  # charged once
