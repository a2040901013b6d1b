"""N users x M jobs through the real browser path, against the default layout or the cluster layout.

Run: `.venv/bin/python -m bench.load [--layout default|cluster|both] [--users 40] [--jobs 3] [--pages 8]`
(loopback only; a few minutes per layout, most of it the Reflex prod build).

- default: `reflex run --env prod --single-port` (one process, SQLite, in-process jobs) from a copy of the tree,
  as tests/browser/conftest.py starts it; cluster: scripts/cluster.py (Caddy, 2 app instances with 2 Granian
  workers each, 2 procrastinate workers, PostgreSQL, Redis, moto S3), driven through Caddy.
- Users sign up over HTTP (the form POST), verify with the link from the dev outbox (POST), then all sign in
  at once: a burst of N sign-ins (POST /api/auth/login), timed one by one.
- Each user's session cookie goes into a headless Chromium context; `--pages` tabs at a time open /studio,
  pick the local engine and press Generate M times (the Reflex websocket event a person sends). A job's
  submit→result time runs from its click to its card showing "Done"; a click that never gets a card is lost.
- Lock warnings: lines of the app's logs about Reflex state locks (held too long, expired). Peak RSS: sampled
  every 0.5 s for every process of the layout (Granian workers included).

Goals (issue 12): N*M succeed, zero lock warnings, zero lost clicks, submit→result p95 <= 5 s, sign-in p95 <= 2 s,
RSS <= 400 MB per web process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from playwright.async_api import Page, async_playwright

from bench._common import loadavg, machine, percentile, table
from tests.browser.conftest import CHROMIUM_ARGS, ROOT, app_env, free_port, serve_app
from tests.browser.test_accounts_browser import PW

sys.path.insert(0, str(ROOT))
from scripts.cluster import _deploy_copy, cluster

LOCK_WARNING = re.compile(r"(?i)(lock\w*error|lock .*(expired|held|too long|timed? ?out)|lock_expir)")
LIMITS = {"SIGNUP_LIMIT_PER_IP": "100000/hour", "MAIL_LIMIT_PER_IP": "100000/hour",
          "LOGIN_ATTEMPTS_PER_IP": "100000/15 minutes", "SIGNUP_CREDITS": "100"}


@dataclass
class Layout:
    name: str
    url: str
    data_dir: Path
    logs: list[Path]
    pids: dict[str, int]  # process name -> main pid (children are sampled too)


@dataclass
class Results:
    signup_s: list[float] = field(default_factory=list)
    signin_s: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    done: int = 0
    failed: int = 0
    lost_clicks: int = 0
    errors: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    peak_rss_mb: dict[str, float] = field(default_factory=dict)


# ---- the two layouts --------------------------------------------------------------------------------------


@contextmanager
def default_layout(run_dir: Path) -> Iterator[Layout]:
    data_dir = run_dir / "data"
    data_dir.mkdir()
    port = free_port()
    env = {**app_env(data_dir, port), **LIMITS}
    processes: list[int] = []
    with serve_app(_deploy_copy(run_dir), data_dir, port, env, timeout=600) as app:
        yield Layout("default", app.url, data_dir, [app.log], {"web": app.proc.pid})
        processes = _tree(app.proc.pid)
    for pid in processes[1:]:  # a backend process can outlive the reflex command serve_app stopped (and ignore TERM)
        with contextlib.suppress(OSError):  # gone already; only ours (still running in our folder) is killed
            if Path(f"/proc/{pid}/cwd").resolve().is_relative_to(run_dir):
                os.kill(pid, signal.SIGKILL)


@contextmanager
def cluster_layout(run_dir: Path) -> Iterator[Layout]:
    with cluster(extra_env=LIMITS, run_dir=run_dir, timeout=600) as c:
        pids = {name: proc.popen.pid for name, proc in c.procs.items()}
        yield Layout("cluster", c.url, Path(c.env["DATA_DIR"]), [p.log for p in c.procs.values()], pids)


# ---- memory --------------------------------------------------------------------------------------------------


def _tree(pid: int) -> list[int]:
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


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _label(pid: int, root: str) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        cmd = "?"
    if "resource_tracker" in cmd:
        kind = "multiprocessing tracker"
    elif "spawn_main" in cmd:
        kind = "heavy-work child"
    else:  # the interpreter's path says nothing: keep what it runs
        kind = " ".join(part.rsplit("/", 1)[-1] for part in cmd.split()[1:4]) or cmd
    return f"{root} / {kind} ({pid})"


def sample_rss(layout: Layout, peaks: dict[str, float], stop: threading.Event) -> None:
    while not stop.is_set():
        for name, root in layout.pids.items():
            for pid in _tree(root):
                label = _label(pid, name)
                peaks[label] = max(peaks.get(label, 0.0), _rss_mb(pid))
        stop.wait(0.5)


# ---- users over HTTP -------------------------------------------------------------------------------------------


def _verify_token(outbox: Path, email: str) -> str | None:
    for mail in sorted(outbox.glob("*.json"), reverse=True):
        text = mail.read_text(errors="replace")
        if email in text and (found := re.search(r"/verify\?token=([A-Za-z0-9_\-]+)", text)):
            return found.group(1)
    return None


async def sign_up(client: httpx.AsyncClient, outbox: Path, email: str, res: Results) -> None:
    form = {"name": "Load Tester", "email": email, "password": PW}
    started = time.monotonic()
    answer = await client.post("/api/auth/signup", data=form)
    res.signup_s.append(time.monotonic() - started)
    if answer.status_code != 303 or "error=" in answer.headers.get("location", ""):
        res.errors.append(f"sign-up {email}: {answer.status_code} {answer.headers.get('location')}")
        return
    for _ in range(100):
        if token := _verify_token(outbox, email):
            break
        await asyncio.sleep(0.1)
    else:
        res.errors.append(f"no verification mail for {email}")
        return
    answer = await client.post("/api/auth/verify", data={"token": token})
    if "notice=verified" not in answer.headers.get("location", ""):
        res.errors.append(f"verify {email}: {answer.status_code} {answer.headers.get('location')}")


async def sign_in(client: httpx.AsyncClient, email: str, res: Results) -> None:
    started = time.monotonic()
    try:
        answer = await client.post("/api/auth/login", data={"email": email, "password": PW})
    except httpx.HTTPError as exc:
        res.errors.append(f"sign-in {email}: {exc!r}")
        return
    res.signin_s.append(time.monotonic() - started)
    if not answer.headers.get("location", "").endswith("/app"):
        res.errors.append(f"sign-in {email}: {answer.status_code} {answer.headers.get('location')}")


# ---- generating in the browser ---------------------------------------------------------------------------------


async def generate(page: Page, url: str, jobs: int, res: Results) -> None:
    await page.goto(f"{url}/studio")
    await page.wait_for_load_state("networkidle")
    await page.locator("#model-select").click()
    await page.get_by_role("option", name="Local preview — not AI").click()
    await page.get_by_label("Prompt", exact=True).fill("a lighthouse on a cliff at golden hour")
    cards, statuses = page.locator(".job-card"), page.locator(".job-card .job-status")
    clicks: list[float] = []
    for _ in range(jobs):
        await page.locator("#generate").click()
        clicks.append(time.monotonic())
        await asyncio.sleep(0.3)  # a person's pace between clicks
    done_at: list[float] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        texts = await statuses.all_inner_texts()
        finished = sum(t.strip() in ("Done", "Failed", "Cancelled") for t in texts)
        done_at += [time.monotonic()] * (sum(t.strip() == "Done" for t in texts) - len(done_at))
        if finished >= jobs:
            break
        await asyncio.sleep(0.1)
    texts = await statuses.all_inner_texts()
    res.done += sum(t.strip() == "Done" for t in texts)
    res.failed += sum(t.strip() == "Failed" for t in texts)
    res.lost_clicks += max(0, jobs - await cards.count())
    res.latencies += [done - click for click, done in zip(clicks, done_at, strict=False)]  # FIFO: k-th done, k-th click


async def run_users(layout: Layout, users: int, jobs: int, pages: int, res: Results) -> None:
    outbox = layout.data_dir / "outbox"
    emails = [f"load-{i}-{int(time.time())}@example.com" for i in range(users)]
    headers = {"Origin": layout.url}
    clients = [httpx.AsyncClient(base_url=layout.url, headers=headers, timeout=60) for _ in emails]
    try:
        await asyncio.gather(*(sign_up(c, outbox, e, res) for c, e in zip(clients, emails, strict=True)))
        await asyncio.gather(*(sign_in(c, e, res) for c, e in zip(clients, emails, strict=True)))  # the burst
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
            slots = asyncio.Semaphore(pages)

            async def one(client: httpx.AsyncClient) -> None:
                async with slots:
                    context = await browser.new_context(viewport={"width": 1360, "height": 900})
                    await context.add_cookies([{"name": c.name, "value": c.value or "", "url": layout.url}
                                               for c in client.cookies.jar])
                    try:
                        await generate(await context.new_page(), layout.url, jobs, res)
                    except Exception as exc:  # counted, and the run goes on
                        res.errors.append(f"browser: {exc!r}"[:300])
                    finally:
                        await context.close()

            started = time.monotonic()
            await asyncio.gather(*(one(c) for c in clients))
            res.wall_s = time.monotonic() - started
            await browser.close()
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


def lock_warnings(logs: list[Path]) -> list[str]:
    """The log lines about state locks (printed with the report: the logs go with the run folder)."""
    return [f"{log.stem}: {line.strip()[:300]}" for log in logs if log.exists()
            for line in log.read_text(errors="replace").splitlines() if LOCK_WARNING.search(line)]


def measure(start: Callable[[Path], object], users: int, jobs: int, pages: int) -> tuple[Layout, Results, list[str]]:
    run_dir = Path(tempfile.mkdtemp(prefix="palett-load-"))
    try:
        with start(run_dir) as layout:  # type: ignore[attr-defined]
            res, stop = Results(), threading.Event()
            sampler = threading.Thread(target=sample_rss, args=(layout, res.peak_rss_mb, stop), daemon=True)
            sampler.start()
            print(f"{layout.name}: up at {layout.url}; load {loadavg()}", flush=True)
            try:
                asyncio.run(run_users(layout, users, jobs, pages, res))
            finally:
                stop.set()
                sampler.join()
            return layout, res, lock_warnings(layout.logs)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def report(layout: Layout, res: Results, locks: list[str], users: int, jobs: int) -> None:
    total = users * jobs
    p50, p95 = (percentile(res.latencies, 50), percentile(res.latencies, 95)) if res.latencies else (0, 0)
    signin95 = percentile(res.signin_s, 95) if res.signin_s else 0.0
    web_peak = max((mb for name, mb in res.peak_rss_mb.items()
                    if name.startswith(("web", "app-")) and "heavy-work" not in name), default=0.0)

    def goal(ok: bool) -> str:
        return "MET" if ok else "NOT MET"

    print(f"\n== {layout.name}: {users} users x {jobs} jobs, load {loadavg()} ==")
    print(table(["measure", "value", "goal"], [
        ["jobs done / asked", f"{res.done}/{total}", goal(res.done == total)],
        ["failed jobs", res.failed, ""],
        ["lost clicks", res.lost_clicks, goal(res.lost_clicks == 0)],
        ["throughput (jobs/s)", f"{res.done / res.wall_s:.2f}" if res.wall_s else "-", ""],
        ["submit→result p50 (s)", f"{p50:.2f}", ""],
        ["submit→result p95 (s)", f"{p95:.2f}", goal(p95 <= 5)],
        ["sign-up p95 (s)", f"{percentile(res.signup_s, 95):.2f}" if res.signup_s else "-", ""],
        [f"sign-in p95, burst of {users} (s)", f"{signin95:.2f}", goal(bool(res.signin_s) and signin95 <= 2)],
        ["errors", len(res.errors), goal(not res.errors)],
        ["lock warnings in app logs", len(locks), goal(not locks)],
        ["peak RSS of a web process (MB)", f"{web_peak:.0f}", goal(web_peak <= 400)],
    ]))
    print(table(["process", "peak RSS (MB)"], sorted(([n, f"{mb:.0f}"] for n, mb in res.peak_rss_mb.items()
                                                       if mb > 0), key=lambda r: r[0])))
    for error in res.errors[:10]:
        print("  error:", error)
    for line in locks[:10]:
        print("  lock:", line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--layout", choices=["default", "cluster", "both"], default="both")
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=3, help="Generate clicks per user")
    parser.add_argument("--pages", type=int, default=8, help="browser tabs open at once")
    args = parser.parse_args(argv)
    print(machine(), flush=True)
    layouts = {"default": default_layout, "cluster": cluster_layout}
    for name in (["default", "cluster"] if args.layout == "both" else [args.layout]):
        layout, res, locks = measure(layouts[name], args.users, args.jobs, args.pages)
        report(layout, res, locks, args.users, args.jobs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
