"""Where a page load's time goes until the first state delta, per phase, against the bare Reflex counter.

Run against apps already serving, e.g. a `make run` copy and the counter `bench.frontend` writes:
`.venv/bin/python -m bench.hydration_split --app http://localhost:3000 --counter http://localhost:3001`.
Signs up one user (dev outbox), makes one image, then opens landing, studio, gallery, the image page and the
counter `--runs` times each, shuffled, each in a fresh context, and prints medians (ms from navigation) of:
HTML received, the page's route module requested, the last JS module received, the WebSocket created (after
React has hydrated), opened, engine.io's OPEN received, the CONNECT (carrying the hydrate event) acknowledged,
the first state delta, and LCP. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys

from playwright.sync_api import Browser, sync_playwright

from bench._common import loadavg, median
from bench.frontend import VIEWPORT, prepare_user
from tests.browser.conftest import CHROMIUM_ARGS

PROBE_JS = """(() => {
  const p = window.__p = {wsNew: null, wsOpen: null, eio: null, ack: null, hyd: null, lcp: 0};
  new PerformanceObserver(l => { for (const e of l.getEntries()) p.lcp = e.startTime; })
    .observe({type: 'largest-contentful-paint', buffered: true});
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      p.wsNew ??= performance.now();
      super(...args);
      this.addEventListener('open', () => { p.wsOpen ??= performance.now(); });
      this.addEventListener('message', e => {
        const d = String(e.data), t = performance.now();
        if (d.startsWith('0')) p.eio ??= t;
        if (d.startsWith('40')) p.ack ??= t;
        if (d.startsWith('42')) p.hyd ??= t;
      });
    }
  };
})();"""

FIGURES_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const js = performance.getEntriesByType('resource')
    .filter(e => new URL(e.name).pathname.startsWith('/assets/') && /\\.m?js$/.test(e.name));
  const route = js.find(e => /_index-/.test(e.name));
  return {html: nav.responseEnd, route: route ? route.startTime : null,
          jsDone: Math.max(...js.map(e => e.responseEnd)), ...window.__p};
}"""

PHASES = ("html", "route", "jsDone", "wsNew", "wsOpen", "eio", "ack", "hyd", "lcp")


def visit(browser: Browser, url: str, cookies: list | None) -> dict[str, float]:  # type: ignore[type-arg]
    context = browser.new_context(viewport=VIEWPORT)
    if cookies:
        context.add_cookies(cookies)
    context.add_init_script(PROBE_JS)
    page = context.new_page()
    page.goto(url, wait_until="load")
    page.wait_for_function("() => window.__p.hyd !== null", timeout=30_000)
    page.wait_for_load_state("networkidle")
    figures: dict[str, float] = page.evaluate(FIGURES_JS)
    context.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", required=True)
    parser.add_argument("--counter", required=True)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    chromium = shutil.which("chromium") or sys.exit("Debian's chromium is missing")
    print(f"load average before {loadavg()}", flush=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        cookies, image_path = prepare_user(browser, args.app)
        pages = {"landing": (f"{args.app}/", None), "studio": (f"{args.app}/studio", cookies),
                 "gallery": (f"{args.app}/gallery", cookies), "image": (f"{args.app}{image_path}", cookies),
                 "bare counter": (f"{args.counter}/", None)}
        samples: dict[str, list[dict[str, float]]] = {name: [] for name in pages}
        for run in range(args.runs + 1):  # the first round warms the servers up and is not counted
            for name in random.sample(list(pages), len(pages)):
                figures = visit(browser, *pages[name])
                if run:
                    samples[name].append(figures)
        browser.close()
    bare = median([s["hyd"] for s in samples["bare counter"]])
    print(f"{'page':13s}" + "".join(f"{k:>8s}" for k in PHASES) + "  hyd / bare")
    for name, rows in samples.items():
        values = [median([r[k] for r in rows if r[k] is not None] or [float("nan")]) for k in PHASES]
        print(f"{name:13s}" + "".join(f"{v:8.0f}" for v in values) + f"  {values[PHASES.index('hyd')] / bare:.2f}x")
    print(f"load average after {loadavg()}")


if __name__ == "__main__":
    main()
