"""Opening the lightbox in headless Chromium: click on a tile to the full-size picture shown: studio, gallery, explore.

Run: `.venv/bin/python -m bench.lightbox_browser` (a few minutes, most of it the Reflex prod build).

The app is copied and started by bench/_browser_app.py (temp folder, prod build, free 127.0.0.1
port, temp SQLite). One user makes one local-preview image in the studio; 200 more rows share its stored files
(tests/browser/test_library_browser.seed_images), and all are made public with share tokens, so the gallery and
explore both show full windows. The studio shows that job and STUDIO_JOBS more of 4 pictures each (its feed holds
jobs, not the seeded rows); its clicks go round its tiles.

Measured, for each of N clicks on a different tile (so no full-size picture is in the HTTP cache): in the page,
`performance.now()` right before the tile's click() to
- "dialog": the first animation frame where #lightbox-img is laid out and shows the clicked picture (its data-id)
  (the server round trip over the websocket and React's render; no database work happens on open);
- "picture": the first frame where that <img> is also `complete` with `naturalWidth > 0` (adds the full-size
  download and decode: local-preview pictures are 1024 px PNGs served by the app's media route).
Escape closes the lightbox between clicks.
"""

from __future__ import annotations

import argparse
import secrets
import sqlite3
from pathlib import Path

from playwright.sync_api import Page, expect

from bench._browser_app import signed_in_app
from bench._common import loadavg, median, percentile, table
from tests.browser.test_accounts_browser import open_page
from tests.browser.test_library_browser import generate, seed_images

SEEDED = 200
GOAL_MS = 100

STUDIO_JOBS = 3
# page name → (path, the tiles that open the lightbox)
PAGES = {"studio": ("/studio", "#jobs [data-lightbox-tile]"), "gallery": ("/gallery", "#gallery-grid a.gallery-open"),
         "explore": ("/explore", "#explore-grid a.gallery-open")}

# Click the n-th tile (round the page's tiles) and time the lightbox: {dialog: ms, picture: ms}.
OPEN_JS = """async ([tiles, n]) => {
  const all = document.querySelectorAll(tiles);
  const link = all[n % all.length];
  const t0 = performance.now();
  link.click();
  const id = link.dataset.lightboxTile;
  let dialog = null;
  return await new Promise((resolve) => {
    const tick = () => {
      const img = document.getElementById('lightbox-img');
      const shown = img && img.dataset.id === id && img.getAttribute('src') &&
        img.getBoundingClientRect().width > 0;
      if (shown && dialog === null) dialog = performance.now() - t0;
      if (shown && img.complete && img.naturalWidth > 0) resolve({dialog, picture: performance.now() - t0});
      else requestAnimationFrame(tick);
    };
    tick();
  });
}"""


def publish_all(data_dir: Path, email: str) -> None:
    db = sqlite3.connect(data_dir / "palett.db")
    try:
        (user_id,) = db.execute("SELECT id FROM user WHERE email = ?", (email,)).fetchone()
        ids = [i for (i,) in db.execute("SELECT id FROM generated_image WHERE user_id = ?", (user_id,))]
        db.executemany("UPDATE generated_image SET is_public = 1, share_token = ? WHERE id = ?",
                       [(secrets.token_urlsafe(16), i) for i in ids])
        db.commit()
    finally:
        db.close()


def series(page: Page, tiles: str, n: int) -> list[dict[str, float]]:
    out = []
    for k in range(n):
        out.append(page.evaluate(OPEN_JS, [tiles, k + 1]))  # tile 0 was opened once, unmeasured
        page.keyboard.press("Escape")
        expect(page.locator("#lightbox")).to_have_count(0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="clicks per page")
    parser.add_argument("--pages", default=",".join(PAGES), help=f"which of {', '.join(PAGES)} (comma-separated)")
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {}
    with signed_in_app("lightbox-browser") as run:
        url, page, email = run.url, run.page, run.email
        data_dir = run.data_dir
        for k in range(STUDIO_JOBS):
            generate(page, url, f"studio batch number {k}", images=4)
        generate(page, url, "the newest picture of all")
        seed_images(data_dir, email, SEEDED)
        publish_all(data_dir, email)
        for name in args.pages.split(","):
            path, tiles = PAGES[name]
            open_page(page, url + path)
            expect(page.locator(tiles).nth(min(args.n + 1, 4 * STUDIO_JOBS))).to_be_attached()
            page.evaluate(OPEN_JS, [tiles, 0])  # one unmeasured open: the dialog's code is loaded
            page.keyboard.press("Escape")
            expect(page.locator("#lightbox")).to_have_count(0)
            results[name] = series(page, tiles, args.n)

    rows = []
    for name, runs in results.items():
        for what in ("dialog", "picture"):
            ms = [r[what] for r in runs]
            rows.append([f"{name}: {what}", len(ms), median(ms), percentile(ms, 95), min(ms), max(ms),
                         "MET" if median(ms) <= GOAL_MS else "NOT MET"])
    print()
    print(table(["click → lightbox", "N", "median ms", "p95 ms", "min ms", "max ms", f"goal median ≤ {GOAL_MS} ms"],
                rows))
    print(f"\nload average after {loadavg()}")


if __name__ == "__main__":
    main()
