"""The gallery in headless Chromium: time to the first screen of thumbnails, and the DOM size over 2,000 images.

Run: `.venv/bin/python -m bench.gallery_browser` (about 3-6 minutes, most of it the Reflex prod build).

The repository is copied to a temporary folder (without .web, data, .venv, .git) so the build never touches
/work/main/.web. The app runs there (`reflex run --env prod --single-port`) on a free 127.0.0.1 port with a
temporary DATA_DIR and SQLite database, exactly as tests/browser/conftest.py starts it. One user signs up,
verifies and signs in through the pages, makes one local-preview image in the studio, and then gets 2,000 more
rows in palett.db sharing that image's stored files (tests/browser/test_library_browser.seed_images).

Measured:
- first screen: N navigations to /gallery. The clock is the page's own `performance.now()` (0 = navigation
  start); the end is the first animation frame where every one of the first 12 tiles' <img> that lies in the
  viewport is `complete` with `naturalWidth > 0`. "warm" reuses one browser context (HTTP cache warm, as when a
  person comes back to the gallery); "cold" uses a new context each time (empty cache, same session cookie).
- long scroll: scroll to the bottom again and again until "That's everything." shows; the most <img> elements
  seen in the whole document after each scroll step, and the count at the end.
"""

from __future__ import annotations

import argparse

from playwright.sync_api import Page, expect

from bench._browser_app import VIEWPORT, signed_in_app
from bench._common import loadavg, median, percentile, table
from tests.browser.test_accounts_browser import open_page
from tests.browser.test_library_browser import generate, seed_images

SEEDED = 2000
FIRST_TILES = 12

# Truthy (the time in ms since navigation start) once the first screen of thumbnails is decoded and visible.
FIRST_SCREEN_JS = """(n) => {
  const imgs = [...document.querySelectorAll('#gallery-grid .gallery-tile img')].slice(0, n);
  if (imgs.length < n) return false;
  const inView = imgs.filter(i => { const r = i.getBoundingClientRect();
                                    return r.bottom > 0 && r.top < innerHeight && r.width > 0; });
  if (!inView.length || !inView.every(i => i.complete && i.naturalWidth > 0)) return false;
  return {t: performance.now(), inView: inView.length};
}"""


def first_screen(page: Page, url: str) -> tuple[float, int]:
    page.goto("about:blank")
    page.goto(f"{url}/gallery", wait_until="commit")
    handle = page.wait_for_function(FIRST_SCREEN_JS, arg=FIRST_TILES, polling="raf", timeout=30_000)
    result = handle.json_value()
    return float(result["t"]), int(result["inView"])


def long_scroll(page: Page, url: str) -> tuple[int, int, int, int]:
    """Returns (most <img> seen, <img> at the end, tiles at the end, scroll steps)."""
    open_page(page, f"{url}/gallery")
    expect(page.locator("#gallery-total")).to_have_text(f"{SEEDED + 1:,} images")
    most, steps = 0, 0
    while steps < 400:
        steps += 1
        most = max(most, page.locator("img").count())
        if page.locator("#gallery-more-end").is_visible():
            break
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        page.wait_for_timeout(250)
    expect(page.locator("#gallery-more-end")).to_be_visible()
    expect(page.locator("#gallery-more-end")).to_contain_text("That's everything")
    end = page.locator("img").count()
    return max(most, end), end, page.locator("#gallery-grid .gallery-tile").count(), steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10, help="navigations per first-screen series")
    args = parser.parse_args()
    with signed_in_app("gallery-browser") as run:
        url, page, email = run.url, run.page, run.email
        browser, context, data_dir = run.browser, run.context, run.data_dir
        generate(page, url, "the newest picture of all")
        seed_images(data_dir, email, SEEDED)
        open_page(page, f"{url}/gallery")  # one unmeasured visit: the page's bundles are built and cached
        expect(page.locator("#gallery-total")).to_have_text(f"{SEEDED + 1:,} images")

        warm = [first_screen(page, url) for _ in range(args.n)]
        state = context.storage_state()
        cold = []
        for _ in range(args.n):
            ctx = browser.new_context(viewport=VIEWPORT, storage_state=state)
            cold.append(first_screen(ctx.new_page(), url))
            ctx.close()
        most, end, tiles, steps = long_scroll(page, url)

    rows = []
    for name, series in (("warm cache (same context)", warm), ("cold cache (new context)", cold)):
        ms = [t for t, _ in series]
        rows.append([name, len(ms), median(ms), percentile(ms, 95), min(ms), max(ms),
                     min(v for _, v in series), "MET" if percentile(ms, 95) <= 1000 else "NOT MET"])
    print()
    print(table(["first screen of thumbnails", "N", "median ms", "p95 ms", "min ms", "max ms", "imgs in view",
                 "goal p95 ≤ 1000 ms"], rows))
    print()
    print(table(["long scroll (2,001 images)", "most <img> seen", "<img> at the end", "tiles at the end",
                 "scroll steps", "goal ≤ 200"],
                [["scroll to \"That's everything.\"", most, end, tiles, steps, "MET" if most <= 200 else "NOT MET"]]))
    print(f"\nload average after {loadavg()}")


if __name__ == "__main__":
    main()
