"""Issue 14's page-speed figures in headless Chromium: hard load to first content, Studio → Gallery, per page.

Run: `.venv/bin/python -m bench.page_speed` (a few minutes, most of it the Reflex prod build; `--n` loads per page).

The app is copied and started by bench/_browser_app.py (temp folder, prod build, free 127.0.0.1 port, temp
SQLite). One user makes two local-preview images in the studio; SEEDED more rows share their files and all are
public (bench/lightbox_browser.publish_all), so gallery, explore and usage have content.

- hard load: `page.goto` in a fresh tab of one signed-in context (server warm, HTTP cache warm after one unmeasured
  visit per page) to "first content", the first animation frame where the page's content element is in the DOM
  (for a picture: also `complete` with `naturalWidth > 0`), in the page's own clock (0 = navigation start).
- Studio → Gallery: on /studio, click the header's Gallery link (client-side routing, no reload) to the first frame
  where the gallery's first thumbnail is decoded, timed in the page from right before the click.
"""

from __future__ import annotations

import argparse

from playwright.sync_api import BrowserContext, Page

from bench._browser_app import signed_in_app
from bench._common import loadavg, median, percentile, table
from bench.lightbox_browser import publish_all
from tests.browser.test_accounts_browser import open_page
from tests.browser.test_library_browser import generate, seed_images

SEEDED = 200
LOAD_GOAL_MS, NAV_GOAL_MS = 1000, 500
GALLERY_FIRST = "#gallery-grid .gallery-tile img"
# page → what its first content is (an <img> must also be decoded)
CONTENT = {"gallery": GALLERY_FIRST, "image": "#viewer-img", "usage": "#usage-table .usage-row",
           "explore": "#explore-grid .explore-tile img"}

# Installed before the page's scripts: stamps window.__ready[selector] at the first frame its element is shown, and
# the websocket's open and message times (to split a load into scripts + connect, server, and render).
PROBE_JS = """(() => {
  window.__ready = {};
  window.__ws = {open: null, messages: []};
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('open', () => { window.__ws.open ??= performance.now(); });
      this.addEventListener('message', () => window.__ws.messages.push(performance.now()));
    }
  };
  const shown = (sel) => {
    const el = document.querySelector(sel);
    if (!el || el.getBoundingClientRect().width === 0) return false;
    return el.tagName !== 'IMG' || (el.complete && el.naturalWidth > 0);
  };
  window.__watch = (sel, t0) => new Promise((resolve) => {
    const tick = () => shown(sel) ? resolve(performance.now() - t0) : requestAnimationFrame(tick);
    tick();
  });
  const sels = %s;
  const tick = () => {
    for (const s of sels) if (window.__ready[s] === undefined && shown(s)) window.__ready[s] = performance.now();
    if (sels.some((s) => window.__ready[s] === undefined)) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})()"""

NAV_JS = """async ([link, sel]) => {
  const a = [...document.querySelectorAll(link)].find((el) => el.getBoundingClientRect().width > 0);  // visible
  const t0 = performance.now();
  a.click();
  return await window.__watch(sel, t0);
}"""


# {first content, socket open, last websocket message before first content} in ms from navigation start
SPLIT_JS = """(s) => {
  const ready = window.__ready[s];
  const before = window.__ws.messages.filter((t) => t <= ready);
  return {ready, socket: window.__ws.open ?? ready, state: before.length ? before[before.length - 1] : ready};
}"""


def hard_load(context: BrowserContext, url: str, selector: str) -> dict[str, float]:
    page = context.new_page()
    page.goto(url, wait_until="commit")
    page.wait_for_function("(s) => window.__ready && window.__ready[s] !== undefined", arg=selector, timeout=30_000)
    split = page.evaluate(SPLIT_JS, selector)
    page.close()
    return {k: float(v) for k, v in split.items()}


def studio_to_gallery(context: BrowserContext, url: str) -> float:
    page: Page = context.new_page()
    open_page(page, f"{url}/studio")
    page.locator("#generate").wait_for()
    ms = float(page.evaluate(NAV_JS, ["header a[href='/gallery']", GALLERY_FIRST]))
    page.close()
    return ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=15, help="loads per page")
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {}
    with signed_in_app("page-speed") as run:
        url, page, email = run.url, run.page, run.email
        context, data_dir = run.context, run.data_dir
        generate(page, url, "an older picture")
        generate(page, url, "the newest picture of all")
        seed_images(data_dir, email, SEEDED)
        publish_all(data_dir, email)
        open_page(page, f"{url}/gallery")
        image = page.locator("#gallery-grid a.gallery-open").first.get_attribute("href")
        page.close()
        context.add_init_script(PROBE_JS % list(CONTENT.values()))
        paths = {"gallery": "/gallery", "image": image, "usage": "/usage", "explore": "/explore"}
        for name, path in paths.items():  # one unmeasured visit each: bundles cached, server warm
            hard_load(context, url + str(path), CONTENT[name])
        studio_to_gallery(context, url)
        for _ in range(args.n):  # interleaved, so a burst of outside load hits every page alike
            for name, path in paths.items():
                results.setdefault(name, []).append(hard_load(context, url + str(path), CONTENT[name]))
            ms = studio_to_gallery(context, url)
            results.setdefault("Studio → Gallery", []).append({"ready": ms, "socket": 0, "state": 0})

    rows, split = [], []
    for name, runs in results.items():
        ms = [r["ready"] for r in runs]
        goal = NAV_GOAL_MS if "→" in name else LOAD_GOAL_MS
        what = "client navigation" if "→" in name else "hard load to first content"
        rows.append([f"{name}: {what}", len(ms), median(ms), percentile(ms, 95), min(ms), max(ms),
                     f"{'MET' if median(ms) <= goal else 'NOT MET'} (≤ {goal})"])
        if "→" not in name:
            split.append([name, median([r["socket"] for r in runs]),
                          median([r["state"] - r["socket"] for r in runs]),
                          median([r["ready"] - r["state"] for r in runs])])
    print()
    print(table(["page", "N", "median ms", "p95 ms", "min ms", "max ms", "goal: median"], rows))
    print()
    print(table(["hard load, medians", "scripts + socket open ms", "socket → last state before content ms",
                 "→ content shown ms"], split))
    print(f"\nload average after {loadavg()}")


if __name__ == "__main__":
    main()
