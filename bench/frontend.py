"""Palett's pages against a bare Reflex counter, in headless Chromium, measured interleaved in one run.

Run: `.venv/bin/python -m bench.frontend` (about 6-10 minutes: two Reflex prod builds, then the runs).
`--lighthouse` adds Lighthouse scores, median of `--lighthouse-runs` (3) per page (needs `make bench-tools`:
npm lighthouse@12.2.3 in .bench-node/).

- Palett: the repository is copied to a temporary folder (without .web, data, .venv, .git) and started as the
  browser tests start it (`reflex run --env prod --single-port`, SQLite, temporary DATA_DIR). One user signs
  up, verifies, signs in and makes one local-preview image; its cookie is reused by every signed-in context.
- Bare counter: `rxconfig.py` + a counter page written to another temporary folder, built by the same
  installed Reflex with the same RadixThemesPlugin theme, served the same way.

Each run opens every page (landing, studio, gallery, image, counter) in turn, each in a fresh browser context
(empty cache), in a shuffled order. Per page: LCP, the time the first state delta arrives over the websocket
("hydrated"), JS+CSS bytes on the wire, requests, DOM nodes, requests to hosts other than localhost. Clicks:
the studio's size chip and the counter's button, click -> DOM change timed in the page. Backend CPU per simple
event: the CPU time of each app's process tree over 100 such clicks (/proc counts 10 ms ticks).
Also Chromium's main-thread totals (script, style, all tasks) when the first state delta arrives: on this
2-CPU host they vary far less than the timings. `--pin` puts the browser on one CPU and both servers on the other,
which steadies the timings too (each about doubles) for A/B comparisons.
Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import Browser, sync_playwright

from bench._common import cpu_seconds, loadavg, median, process_tree, rss_mb, table
from scripts.cluster import Proc, wait_http
from tests.browser.conftest import BIN, CHROMIUM_ARGS, ROOT, app_env, free_port, serve_app
from tests.browser.test_accounts_browser import open_page, sign_in, sign_up, unique_email, verify
from tests.browser.test_library_browser import generate

VIEWPORT = {"width": 1360, "height": 900}
LIGHTHOUSE = ROOT / ".bench-node/node_modules/.bin/lighthouse"

# Installed before any page script: the LCP observer and a WebSocket wrapper that stamps the first state delta.
PROBE_JS = """(() => {
  window.__probe = {lcp: 0, lcpElement: '', wsOpen: null, hydrated: null};
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) {
      window.__probe.lcp = e.startTime;
      window.__probe.lcpElement = `${e.element ? e.element.tagName.toLowerCase() : '?'} ${e.size}px²`;
    }
  })
    .observe({type: 'largest-contentful-paint', buffered: true});
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('open', () => { window.__probe.wsOpen ??= performance.now(); });
      this.addEventListener('message', e => {
        if (typeof e.data === 'string' && e.data.startsWith('42')) window.__probe.hydrated ??= performance.now();
      });
    }
  };
})();"""

PAGE_FIGURES_JS = """() => {
  const res = performance.getEntriesByType('resource');
  const isCode = e => /\\.(m?js|css)$/.test(new URL(e.name).pathname);
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  return {lcp: window.__probe.lcp, lcpElement: window.__probe.lcpElement, fcp: fcp ? fcp.startTime : null,
          hydrated: window.__probe.hydrated, wsOpen: window.__probe.wsOpen,
          bytes: res.filter(isCode).reduce((s, e) => s + e.transferSize, 0),
          files: res.filter(isCode).length,
          dom: document.getElementsByTagName('*').length};
}"""

# Clicks `selector` and resolves with the ms until `changed(el)` holds (checked on every DOM mutation).
CLICK_JS = """([selector, watch, attr]) => new Promise(resolve => {
  const target = document.querySelector(watch);
  const before = attr ? target.getAttribute(attr) : target.textContent;
  const obs = new MutationObserver(() => {
    const now = attr ? target.getAttribute(attr) : target.textContent;
    if (now !== before) { obs.disconnect(); resolve(performance.now() - t0); }
  });
  obs.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
  const t0 = performance.now();
  setTimeout(() => { obs.disconnect(); resolve(null); }, 10000);  // no change: not counted
  document.querySelector(selector).click();
})"""

COUNTER_APP = '''
import reflex as rx


class State(rx.State):
    count: int = 0

    @rx.event
    def increment(self):
        self.count += 1


def index() -> rx.Component:
    return rx.center(rx.vstack(rx.heading(State.count, id="count"),
                               rx.button("Increment", on_click=State.increment, id="inc")), height="100vh")


app = rx.App()
app.add_page(index, title="Counter")
'''

COUNTER_CONFIG = '''
import os

import reflex as rx

config = rx.Config(
    app_name="counter",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    frontend_port=int(os.environ["PALETT_PORT"]),
    backend_port=int(os.environ["PALETT_PORT"]),
    disable_plugins=[rx.plugins.SitemapPlugin],
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(appearance="inherit", accent_color="violet",
                                                         gray_color="slate", radius="large", scaling="100%",
                                                         panel_background="solid"))],
)
'''


@contextmanager
def serve_counter(folder: Path, port: int, env: dict[str, str], timeout: float = 420) -> Iterator[subprocess.Popen]:
    (folder / "counter").mkdir(parents=True)
    (folder / "counter/__init__.py").write_text("")
    (folder / "counter/counter.py").write_text(textwrap.dedent(COUNTER_APP))
    (folder / "rxconfig.py").write_text(textwrap.dedent(COUNTER_CONFIG))
    log = folder / "reflex.log"
    with log.open("w") as out:
        proc = subprocess.Popen([str(BIN / "reflex"), "run", "--env", "prod", "--single-port"], cwd=folder, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_http(f"http://localhost:{port}/", Proc("the counter", proc, log), timeout)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def pin(*servers: int) -> None:
    """Servers (with their threads and children) on the last CPU, this process and the browser it starts on the
    others: on a 2-CPU host the browser and the app otherwise take turns on both, which swings a page's timings by
    ±40 ms from load to load."""
    last = (os.cpu_count() or 1) - 1
    served = {pid for server in servers for pid in process_tree(server)}
    for pid in process_tree(os.getpid()):  # this process, and Playwright's driver, which starts the browser
        cpus = {last} if pid in served else set(range(last)) or {0}
        with contextlib.suppress(OSError):  # a thread or process that ended meanwhile
            for tid in os.listdir(f"/proc/{pid}/task"):
                with contextlib.suppress(OSError):
                    os.sched_setaffinity(int(tid), cpus)


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of `pid` and all its descendants, from /proc."""
    return sum(cpu_seconds(p) for p in process_tree(pid))


def tree_rss_mb(pid: int) -> list[float]:
    """RSS in MB of `pid` and each descendant (one number per process)."""
    return [rss_mb(p) for p in process_tree(pid)]


class Target:
    def __init__(self, name: str, url: str, ready: str, signed_in: bool, click: tuple[str, str, str] | None = None,
                 alt_click: tuple[str, str, str] | None = None):
        self.name, self.url, self.ready, self.signed_in, self.click = name, url, ready, signed_in, click
        self.alt_click = alt_click  # a second control, so that repeated clicks keep changing the DOM
        self.samples: list[dict[str, float]] = []


def measure(browser: Browser, target: Target, cookies: list) -> dict[str, float]:  # type: ignore[type-arg]
    context = browser.new_context(viewport=VIEWPORT)
    if target.signed_in:
        context.add_cookies(cookies)
    context.add_init_script(PROBE_JS)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(target.url, wait_until="load")
    page.wait_for_function("() => window.__probe.hydrated !== null", timeout=30_000)
    main_thread = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    page.locator(target.ready).first.wait_for(state="visible", timeout=30_000)
    page.wait_for_load_state("networkidle")
    figures = page.evaluate(PAGE_FIGURES_JS)
    # Chromium's main-thread totals when the first state delta had arrived (less noisy than the timings).
    for key, metric in (("script", "ScriptDuration"), ("style", "RecalcStyleDuration"), ("task", "TaskDuration")):
        figures[key] = main_thread[metric] * 1000
    if target.click:
        figures["click"] = page.evaluate(CLICK_JS, list(target.click))
    figures["requests"] = len(requests)
    figures["outside"] = sum(1 for u in requests if urlparse(u).scheme in ("http", "https", "ws", "wss")
                             and urlparse(u).hostname not in ("localhost", "127.0.0.1"))
    outside = [u for u in requests if urlparse(u).hostname not in ("localhost", "127.0.0.1", None)]
    if outside:
        print(f"  {target.name}: requests leaving the machine: {outside[:5]}", flush=True)
    context.close()
    return figures


def cpu_per_event(browser: Browser, target: Target, cookies: list, pid: int, n: int = 100) -> float:  # type: ignore[type-arg]
    """Backend CPU ms per click (event round trip), over n clicks in one page."""
    assert target.click
    context = browser.new_context(viewport=VIEWPORT)
    if target.signed_in:
        context.add_cookies(cookies)
    context.add_init_script(PROBE_JS)
    page = context.new_page()
    page.goto(target.url, wait_until="load")
    page.wait_for_function("() => window.__probe.hydrated !== null", timeout=30_000)
    page.wait_for_load_state("networkidle")
    time.sleep(1)
    start = tree_cpu(pid)
    for i in range(n):
        page.evaluate(CLICK_JS, list(target.alt_click if i % 2 and target.alt_click else target.click))
    spent = tree_cpu(pid) - start
    context.close()
    return spent * 1000 / n


def profile_events(browser: Browser, target: Target, cookies: list, pid: int, folder: Path) -> None:  # type: ignore[type-arg]
    """py-spy's collapsed stacks of `pid` (and its children) while 500 simple events run."""
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{target.name.replace(' ', '-')}-events.txt"
    spy = subprocess.Popen([str(BIN / "py-spy"), "record", "--pid", str(pid), "--subprocesses", "--idle",
                            "--rate", "200", "--format", "raw", "--output", str(out)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    cpu_per_event(browser, target, cookies, pid, n=500)
    spy.send_signal(signal.SIGINT)
    spy.wait(timeout=60)
    print(f"py-spy: {out}", flush=True)


def lighthouse(url: str, cookie_header: str | None, chromium: str) -> tuple[float, float]:
    """(performance, accessibility) scores 0-100, desktop preset."""
    cmd = [str(LIGHTHOUSE), url, "--preset=desktop", "--output=json", "--quiet",
           "--only-categories=performance,accessibility",
           "--chrome-flags=" + " ".join(CHROMIUM_ARGS)]
    if cookie_header:
        cmd.append("--extra-headers=" + json.dumps({"Cookie": cookie_header}))
    env = {**os.environ, "CHROME_PATH": chromium}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    if out.returncode != 0:
        print(f"  lighthouse failed for {url}: {out.stderr[-500:]}", flush=True)
        return float("nan"), float("nan")
    report = json.loads(out.stdout)
    cats = report["categories"]
    return cats["performance"]["score"] * 100, cats["accessibility"]["score"] * 100


def prepare_user(browser: Browser, url: str) -> tuple[list, str]:  # type: ignore[type-arg]
    """Sign up, verify, sign in, make one image; returns (cookies, the image page's path)."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    email = unique_email("frontend")
    sign_up(page, url, email)
    verify(page, url, email)
    sign_in(page, url, email)
    generate(page, url, "a lighthouse at dawn")
    open_page(page, f"{url}/gallery")
    page.locator("#gallery-grid .gallery-tile").first.wait_for()
    href = page.locator("#gallery-grid a[href*='/image/']").first.get_attribute("href")
    assert href, "no image link in the gallery"
    cookies = context.cookies()
    context.close()
    return cookies, urlparse(href).path


def warm(browser: Browser, targets: list[Target], cookies: list) -> None:  # type: ignore[type-arg]
    """One unmeasured visit per page (the server's first answers are slower; not what we compare)."""
    for t in targets:
        measure(browser, t, cookies)


def report(targets: list[Target], cpu: dict[str, float], scores: dict[str, tuple[float, float]]) -> None:
    bare = targets[-1]
    figures = [("LCP ms", "lcp"), ("first contentful paint ms", "fcp"), ("socket hydrated ms", "hydrated"),
               ("click -> DOM ms", "click"),
               ("main thread: script ms", "script"), ("main thread: style ms", "style"),
               ("main thread: all tasks ms", "task"),
               ("JS+CSS KiB", "bytes"), ("JS+CSS files", "files"), ("requests", "requests"), ("DOM nodes", "dom"),
               ("requests leaving the machine", "outside")]
    goals = {"lcp": 1.5, "hydrated": 1.5, "click": 1.5, "bytes": 1.15, "requests": 2.0}

    def med(t: Target, key: str) -> float:
        values = [s[key] for s in t.samples if s.get(key) is not None]
        if not values:
            return float("nan")
        m = median(values)
        return m / 1024 if key == "bytes" else m

    rows = []
    for title, key in figures:
        row: list[object] = [title]
        for t in targets:
            row.append(med(t, key))
        base = med(bare, key)
        ratios = [med(t, key) / base for t in targets[:-1] if base and med(t, key) == med(t, key)]
        worst = max(ratios) if ratios else float("nan")
        row.append(f"{worst:.2f}x" if ratios else "–")
        goal = goals.get(key)
        row.append("" if goal is None or not ratios else ("MET" if worst <= goal else "NOT MET") + f" (≤ {goal}x)")
        rows.append(row)
    if cpu:
        base = cpu.get(bare.name)
        rows.append(["backend CPU ms per simple event", *[cpu.get(t.name, float("nan")) for t in targets],
                     f"{max(v for k, v in cpu.items() if k != bare.name) / base:.2f}x" if base else "–",
                     "MET (≤ 1.5x)" if base and max(v for k, v in cpu.items() if k != bare.name) / base <= 1.5
                     else "NOT MET (≤ 1.5x)"])
    for i, label in ((0, "Lighthouse performance"), (1, "Lighthouse accessibility")):
        if scores:
            rows.append([label, *[scores.get(t.name, (float("nan"),) * 2)[i] for t in targets], "", ""])
    rows.append(["LCP element (most often)", *[max(elements := [s.get("lcpElement", "") for s in t.samples],
                                                   key=elements.count, default="") for t in targets], "", ""])
    print()
    print(table(["figure (median)", *[t.name for t in targets], "worst page / bare", "goal"], rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="interleaved runs (each page once per run)")
    parser.add_argument("--lighthouse", action="store_true", help="also run Lighthouse (make bench-tools)")
    parser.add_argument("--lighthouse-runs", type=int, default=3, help="Lighthouse runs per page (median kept)")
    parser.add_argument("--source", type=Path, default=ROOT,
                        help="the Palett tree to build (e.g. `git archive <commit> | tar -x -C DIR` for a before run)")
    parser.add_argument("--pin", action="store_true",
                        help="browser on CPU 0, both servers on CPU 1 (steadier A/B figures; timings about double)")
    parser.add_argument("--profile", type=Path, default=None,
                        help="py-spy each backend during 500 more simple events (collapsed stacks to this folder)")
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if not chromium:
        sys.exit("Debian's chromium is missing: apt-get install -y chromium")
    if args.lighthouse and not LIGHTHOUSE.exists():
        sys.exit("lighthouse is missing: make bench-tools")
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {os.cpu_count()} CPUs · "
          f"Python {sys.version.split()[0]} · load average before {loadavg()}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="palett-frontend-"))
    workdir, data_dir, bare_dir = tmp / "app", tmp / "data", tmp / "bare"
    data_dir.mkdir()
    try:
        subprocess.run(["rsync", "-a", "--exclude", ".web", "--exclude", "data", "--exclude", "test-artifacts",
                        "--exclude", ".venv", "--exclude", ".git", "--exclude", ".bench-node", f"{args.source}/",
                        f"{workdir}/"], check=True)
        port, bare_port = free_port(), free_port()
        started = time.monotonic()
        with serve_app(workdir, data_dir, port, app_env(data_dir, port, {"SIGNUP_CREDITS": "100"})) as app, \
                serve_counter(bare_dir, bare_port, app_env(bare_dir, bare_port)) as bare_proc, \
                sync_playwright() as p:
            print(f"both apps up after {time.monotonic() - started:.0f} s (builds + start)", flush=True)
            if args.pin:
                pin(app.proc.pid, bare_proc.pid)
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            cookies, image_path = prepare_user(browser, app.url)
            bare_url = f"http://localhost:{bare_port}"
            targets = [
                Target("landing", f"{app.url}/", "h1", signed_in=False),
                Target("studio", f"{app.url}/studio", "#generate", signed_in=True,
                       click=("[aria-label='Size'] button:nth-child(2)",
                              "[aria-label='Size'] button:nth-child(2)", "aria-pressed"),
                       alt_click=("[aria-label='Size'] button:nth-child(3)",
                                  "[aria-label='Size'] button:nth-child(3)", "aria-pressed")),
                Target("gallery", f"{app.url}/gallery", "#gallery-grid .gallery-tile", signed_in=True),
                Target("image", f"{app.url}{image_path}", "img", signed_in=True),
                Target("bare counter", f"{bare_url}/", "#inc", signed_in=False, click=("#inc", "#count", "")),
            ]
            warm(browser, targets, cookies)
            for run in range(args.runs):
                order = random.sample(targets, len(targets))
                for t in order:
                    t.samples.append(measure(browser, t, cookies))
                    print(f"  {t.name}: {json.dumps(t.samples[-1])}", flush=True)
                print(f"run {run + 1}/{args.runs} done (load {loadavg()})", flush=True)
            cpu: dict[str, float] = {}
            for _ in range(2):  # alternate, keep the lower figure of two
                for t, pid in ((targets[1], app.proc.pid), (targets[-1], bare_proc.pid)):
                    value = cpu_per_event(browser, t, cookies, pid)
                    cpu[t.name] = min(cpu.get(t.name, value), value)
            if args.profile:
                for t, pid in ((targets[1], app.proc.pid), (targets[-1], bare_proc.pid)):
                    profile_events(browser, t, cookies, pid, args.profile)
            print("backend RSS MB per process: palett " + ", ".join(f"{v:.0f}" for v in tree_rss_mb(app.proc.pid))
                  + " · counter " + ", ".join(f"{v:.0f}" for v in tree_rss_mb(bare_proc.pid)), flush=True)
            browser.close()
            scores: dict[str, tuple[float, float]] = {}
            if args.lighthouse:
                cookie_header = "; ".join(f"{c['name']}={c['value']}" for c in cookies)
                runs: dict[str, list[tuple[float, float]]] = {t.name: [] for t in targets}
                for _ in range(args.lighthouse_runs):  # interleaved too; one score is noisy on a busy host
                    for t in targets:
                        runs[t.name].append(lighthouse(t.url, cookie_header if t.signed_in else None, chromium))
                        print(f"lighthouse {t.name}: {runs[t.name][-1]}", flush=True)
                scores = {name: (median([r[0] for r in rs]), median([r[1] for r in rs])) for name, rs in runs.items()}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(targets, cpu, scores)
    print(f"\nload average after {loadavg()}")


if __name__ == "__main__":
    main()
