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
  submit→result time runs from its click to its card showing "Done", both stamped in the page; a click that
  never gets a card is lost. The job table adds how long each job waited for a runner and how long it ran.
- The tabs stand in for 40 people's own computers, yet here they share the 2 cores with the app: Chromium used
  ~65% of the CPU in an equal-share run (docs/benchmarks.md). By default it runs in a CPU cgroup with 128 shares
  (every other process has 1024), so the app gets the cores first and the tabs everything left over;
  `--browser-shares 0` makes them equals.
- Lock warnings: lines of the app's logs about Reflex state locks (held too long, expired). Peak RSS: sampled
  every 0.5 s for every process of the layout (Granian workers included), with each process's CPU time, and
  this bench's own (its Chromium included): where the 2 cores went, per kind of process and per job.

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
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
from playwright.async_api import Page, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeout

from bench._common import cpu_seconds, loadavg, machine, percentile, process_tree, rss_mb, table
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
    database_url: str


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
    # pid -> (its label when first seen, CPU seconds since the run began, as last seen): an exited process keeps
    # its last figure, and a zombie (no command line any more) keeps the label it had alive.
    cpu_s: dict[int, tuple[str, float]] = field(default_factory=dict)
    page_s: dict[str, float] = field(default_factory=dict)  # Chromium's own timings, summed over the tabs
    queued_s: list[float] = field(default_factory=list)  # each job's created -> started, from the job table
    ran_s: list[float] = field(default_factory=list)  # started -> finished


# ---- the two layouts --------------------------------------------------------------------------------------


@contextmanager
def default_layout(run_dir: Path) -> Iterator[Layout]:
    data_dir = run_dir / "data"
    data_dir.mkdir()
    port = free_port()
    env = {**app_env(data_dir, port), **LIMITS}
    processes: list[int] = []
    with serve_app(_deploy_copy(run_dir), data_dir, port, env, timeout=600) as app:
        yield Layout("default", app.url, data_dir, [app.log], {"web": app.proc.pid},
                     f"sqlite:///{data_dir / 'palett.db'}")
        processes = process_tree(app.proc.pid)
    for pid in processes[1:]:  # a backend process can outlive the reflex command serve_app stopped (and ignore TERM)
        with contextlib.suppress(OSError):  # gone already; only ours (still running in our folder) is killed
            if Path(f"/proc/{pid}/cwd").resolve().is_relative_to(run_dir):
                os.kill(pid, signal.SIGKILL)


@contextmanager
def cluster_layout(run_dir: Path) -> Iterator[Layout]:
    with cluster(extra_env=LIMITS, run_dir=run_dir, timeout=600) as c:
        pids = {name: proc.popen.pid for name, proc in c.procs.items()}
        yield Layout("cluster", c.url, Path(c.env["DATA_DIR"]), [p.log for p in c.procs.values()], pids,
                     c.database_url)


# ---- memory --------------------------------------------------------------------------------------------------


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


def _servers() -> dict[str, int]:
    """The PostgreSQL and Redis servers the layouts use (started by the machine, not by us): their main pids."""
    found = {}
    for proc in Path("/proc").iterdir():
        try:
            comm = (proc / "comm").read_text().strip()
            parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
        if comm in ("postgres", "redis-server") and parent == 1:
            found[f"server {comm}"] = int(proc.name)
    return found


def sample(layout: Layout, res: Results, stop: threading.Event) -> None:
    """Peak RSS and CPU time of every process of the layout, of PostgreSQL and Redis, and of this bench with
    its Chromium (the layout's processes are the bench's children too: each is counted once, under the layout)."""
    roots = {**layout.pids, **_servers(), "bench + chromium": os.getpid()}
    # CPU spent before the run is not the run's.
    start = {pid: cpu_seconds(pid) for root in roots.values() for pid in process_tree(root)}
    while not stop.is_set():
        seen: set[int] = set()
        for name, root in roots.items():
            for pid in process_tree(root):
                if pid in seen:
                    continue
                seen.add(pid)
                label = f"{name} ({pid})" if name.startswith("server") else _label(pid, name)
                if name in layout.pids:
                    res.peak_rss_mb[label] = max(res.peak_rss_mb.get(label, 0.0), rss_mb(pid))
                if (cpu := cpu_seconds(pid)) > 0:
                    res.cpu_s[pid] = (res.cpu_s.get(pid, (label, 0.0))[0], cpu - start.get(pid, 0.0))
        stop.wait(0.5)


def cpu_by_kind(cpu_s: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU seconds summed over processes of one kind (the label without its pid)."""
    kinds: dict[str, float] = {}
    for label, seconds in cpu_s.values():
        kind = re.sub(r" \(\d+\)$", "", label)
        kinds[kind] = kinds.get(kind, 0.0) + seconds
    return kinds


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


PAGE_METRICS = ("TaskDuration", "ScriptDuration", "RecalcStyleDuration", "LayoutDuration")


async def generate(page: Page, url: str, jobs: int, res: Results) -> None:
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("Performance.enable")
    try:
        await _generate(page, url, jobs, res)
    finally:
        metrics = {m["name"]: m["value"] for m in (await cdp.send("Performance.getMetrics"))["metrics"]}
        for name in PAGE_METRICS:
            res.page_s[name] = res.page_s.get(name, 0.0) + metrics.get(name, 0.0)


# Times clicks and finished cards inside the page (its own clock), so the bench does not poll the tab: each
# poll would be script work in a renderer that shares the 2 cores with the app.
WATCH_JS = """() => {
  const w = window.__load = {clicks: [], done: [], finished: 0};
  document.addEventListener('click', e => { if (e.target.closest('#generate')) w.clicks.push(performance.now()); },
                            true);
  const count = () => {
    const texts = [...document.querySelectorAll('.job-card .job-status')].map(e => e.textContent.trim());
    const done = texts.filter(t => t === 'Done').length;
    while (w.done.length < done) w.done.push(performance.now());
    w.finished = texts.filter(t => ['Done', 'Failed', 'Cancelled'].includes(t)).length;
  };
  new MutationObserver(count).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


async def _generate(page: Page, url: str, jobs: int, res: Results) -> None:
    await page.goto(f"{url}/studio")
    await page.wait_for_load_state("networkidle")
    await page.locator("#model-select").click()
    await page.get_by_role("option", name="Local preview — not AI").click()
    await page.get_by_label("Prompt", exact=True).fill("a lighthouse on a cliff at golden hour")
    await page.evaluate(WATCH_JS)
    for _ in range(jobs):
        await page.locator("#generate").click()
        await asyncio.sleep(0.3)  # a person's pace between clicks
    with contextlib.suppress(PlaywrightTimeout):  # what did not finish in time is counted below
        await page.wait_for_function(f"window.__load.finished >= {jobs}", polling=250, timeout=120_000)
    watch = await page.evaluate("window.__load")
    texts = await page.locator(".job-card .job-status").all_inner_texts()
    res.done += sum(t.strip() == "Done" for t in texts)
    res.failed += sum(t.strip() == "Failed" for t in texts)
    res.lost_clicks += max(0, jobs - await page.locator(".job-card").count())
    # FIFO: the k-th card to finish answers the k-th click (ms on the page's clock).
    res.latencies += [(done - click) / 1000 for click, done in zip(watch["clicks"], watch["done"], strict=False)]


async def _form(page: Page) -> str:
    """What the studio form showed when a step failed."""
    try:
        return " | form: " + repr(await page.evaluate("""() => ({
            prompt: document.getElementById('prompt')?.value,
            model: document.getElementById('model-select')?.textContent,
            cost: document.getElementById('run-cost')?.textContent, watched: !!window.__load})"""))
    except Exception as exc:
        return f" | form unreadable: {exc!r}"[:100]


def background_chromium(folder: Path, weight: int) -> str:
    """Debian's Chromium in a CPU cgroup of `weight` (cgroup v1 cpu.shares; other processes have 1024), or as
    it is when `weight` is 0. Chromium resets its processes' nice values itself, so nice cannot lower it."""
    chromium = shutil.which("chromium") or sys.exit("Debian's chromium is missing (make setup-dev)")
    if not weight:
        return chromium
    group = Path("/sys/fs/cgroup/cpu") / f"palett-bench-{os.getpid()}"
    group.mkdir(exist_ok=True)
    (group / "cpu.shares").write_text(str(weight))
    wrapper = folder / "chromium-background"
    wrapper.write_text(f'#!/bin/sh\necho $$ > {group}/cgroup.procs\nexec {chromium} "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


async def run_users(layout: Layout, users: int, jobs: int, pages: int, res: Results, chromium: str) -> None:
    outbox = layout.data_dir / "outbox"
    emails = [f"load-{i}-{int(time.time())}@example.com" for i in range(users)]
    headers = {"Origin": layout.url}
    clients = [httpx.AsyncClient(base_url=layout.url, headers=headers, timeout=60) for _ in emails]
    try:
        await asyncio.gather(*(sign_up(c, outbox, e, res) for c, e in zip(clients, emails, strict=True)))
        await asyncio.gather(*(sign_in(c, e, res) for c, e in zip(clients, emails, strict=True)))  # the burst
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            slots = asyncio.Semaphore(pages)

            async def one(client: httpx.AsyncClient) -> None:
                async with slots:
                    context = await browser.new_context(viewport={"width": 1360, "height": 900})
                    await context.add_cookies([{"name": c.name, "value": c.value or "", "url": layout.url}
                                               for c in client.cookies.jar])
                    try:
                        page = await context.new_page()
                        await generate(page, layout.url, jobs, res)
                    except Exception as exc:  # counted, and the run goes on
                        res.errors.append(f"browser: {exc!r}"[:200] + await _form(page))
                    finally:
                        await context.close()

            started = time.monotonic()
            await asyncio.gather(*(one(c) for c in clients))
            res.wall_s = time.monotonic() - started
            await browser.close()
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


def _spy(layout: Layout, folder: Path) -> list[subprocess.Popen[bytes]]:
    """py-spy on every process of the layout (wall time: idle frames kept, children included)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid), "--idle",
                              "--subprocesses", "--rate", "50", "--format", "raw",
                              "--output", str(folder / f"{layout.name}-{name}.txt")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for name, pid in layout.pids.items() if name != "caddy"]


def job_phases(database_url: str, res: Results) -> None:
    """How long each job waited for a runner and how long it ran, from the job rows the app wrote."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(sqlalchemy.text(
            "SELECT created_at, started_at, finished_at FROM job WHERE finished_at IS NOT NULL")).all()
    engine.dispose()
    when = [tuple(datetime.fromisoformat(v) if isinstance(v, str) else v for v in row) for row in rows]  # SQLite: text
    res.queued_s = [(started - created).total_seconds() for created, started, _ in when if started]
    res.ran_s = [(finished - started).total_seconds() for _, started, finished in when if started]


def lock_warnings(logs: list[Path]) -> list[str]:
    """The log lines about state locks (printed with the report: the logs go with the run folder)."""
    return [f"{log.stem}: {line.strip()[:300]}" for log in logs if log.exists()
            for line in log.read_text(errors="replace").splitlines() if LOCK_WARNING.search(line)]


def measure(start: Callable[[Path], object], users: int, jobs: int, pages: int, browser_shares: int,
            profile: Path | None = None) -> tuple[Layout, Results, list[str]]:
    run_dir = Path(tempfile.mkdtemp(prefix="palett-load-"))
    try:
        with start(run_dir) as layout:  # type: ignore[attr-defined]
            res, stop = Results(), threading.Event()
            sampler = threading.Thread(target=sample, args=(layout, res, stop), daemon=True)
            sampler.start()
            print(f"{layout.name}: up at {layout.url}; load {loadavg()}", flush=True)
            spies = _spy(layout, profile) if profile else []
            try:
                asyncio.run(run_users(layout, users, jobs, pages, res, background_chromium(run_dir, browser_shares)))
            finally:
                stop.set()
                sampler.join()
                for spy in spies:
                    spy.send_signal(signal.SIGINT)
                    spy.wait(timeout=60)
            job_phases(layout.database_url, res)
            return layout, res, lock_warnings(layout.logs)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
        with contextlib.suppress(OSError):  # the browser's cgroup, empty once Chromium has exited
            (Path("/sys/fs/cgroup/cpu") / f"palett-bench-{os.getpid()}").rmdir()


def _p50_p95(values: list[float]) -> str:
    return f"{percentile(values, 50):.2f} / {percentile(values, 95):.2f}" if values else "-"


def report(layout: Layout, res: Results, locks: list[str], users: int, jobs: int, shares: int) -> None:
    total = users * jobs
    p50, p95 = (percentile(res.latencies, 50), percentile(res.latencies, 95)) if res.latencies else (0, 0)
    signin95 = percentile(res.signin_s, 95) if res.signin_s else 0.0
    web_peak = max((mb for name, mb in res.peak_rss_mb.items()
                    if name.startswith(("web", "app-")) and "heavy-work" not in name), default=0.0)

    def goal(ok: bool) -> str:
        return "MET" if ok else "NOT MET"

    print(f"\n== {layout.name}: {users} users x {jobs} jobs, load {loadavg()}; Chromium's CPU shares "
          f"{shares or 'as any process'} ==")
    print(table(["measure", "value", "goal"], [
        ["jobs done / asked", f"{res.done}/{total}", goal(res.done == total)],
        ["failed jobs", res.failed, ""],
        ["lost clicks", res.lost_clicks, goal(res.lost_clicks == 0)],
        ["throughput (jobs/s)", f"{res.done / res.wall_s:.2f}" if res.wall_s else "-", ""],
        ["submit→result p50 (s)", f"{p50:.2f}", ""],
        ["submit→result p95 (s)", f"{p95:.2f}", goal(p95 <= 5)],
        ["  of which waiting for a runner p50 / p95 (s)", _p50_p95(res.queued_s), ""],
        ["  of which running (claim to result) p50 / p95 (s)", _p50_p95(res.ran_s), ""],
        ["sign-up p95 (s)", f"{percentile(res.signup_s, 95):.2f}" if res.signup_s else "-", ""],
        [f"sign-in p95, burst of {users} (s)", f"{signin95:.2f}", goal(bool(res.signin_s) and signin95 <= 2)],
        ["errors", len(res.errors), goal(not res.errors)],
        ["lock warnings in app logs", len(locks), goal(not locks)],
        ["peak RSS of a web process (MB)", f"{web_peak:.0f}", goal(web_peak <= 400)],
    ]))
    print(table(["process", "peak RSS (MB)"], sorted(([n, f"{mb:.0f}"] for n, mb in res.peak_rss_mb.items()
                                                       if mb > 0), key=lambda r: r[0])))
    spent = cpu_by_kind(res.cpu_s)
    total_cpu = sum(spent.values()) or 1.0
    print(f"CPU from the sign-ups to the end (the browser part took {res.wall_s:.0f} s):")
    print(table(["processes", "CPU s", "share", "CPU ms per job done"],
                [[kind, f"{sec:.1f}", f"{sec / total_cpu:.0%}", f"{sec * 1000 / max(res.done, 1):.0f}"]
                 for kind, sec in sorted(spent.items(), key=lambda kv: -kv[1]) if sec >= 0.5]))
    print("the tabs' main threads (Chromium's Performance metrics, summed over tabs), ms per job done: "
          + ", ".join(f"{name} {sec * 1000 / max(res.done, 1):.0f}" for name, sec in res.page_s.items()))
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
    parser.add_argument("--profile", type=Path, default=None, help="py-spy the layout's processes into this folder")
    parser.add_argument("--browser-shares", type=int, default=128,
                        help="run Chromium in a CPU cgroup with these shares (every other process: 1024; 0: no cgroup, "
                             "the tabs compete with the app as equals). The tabs stand in for 40 people's own "
                             "computers; needs a writable /sys/fs/cgroup/cpu (root)")
    args = parser.parse_args(argv)
    print(machine(), flush=True)
    layouts = {"default": default_layout, "cluster": cluster_layout}
    for name in (["default", "cluster"] if args.layout == "both" else [args.layout]):
        layout, res, locks = measure(layouts[name], args.users, args.jobs, args.pages, args.browser_shares,
                                     args.profile)
        report(layout, res, locks, args.users, args.jobs, args.browser_shares)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
