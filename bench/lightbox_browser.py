"""Opening the lightbox in headless Chromium: click on a tile to the full-size picture shown, gallery and explore.

Run: `.venv/bin/python -m bench.lightbox_browser` (a few minutes, most of it the Reflex prod build).

The app is copied and started exactly as bench/gallery_browser.py does (temp folder, prod build, free 127.0.0.1
port, temp SQLite). One user makes one local-preview image in the studio; 200 more rows share its stored files
(tests/browser/test_library_browser.seed_images), and all are made public with share tokens, so the gallery and
explore both show full windows.

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
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from bench._common import loadavg, median, percentile, table
from tests.browser.conftest import CHROMIUM_ARGS, ROOT, app_env, free_port, serve_app
from tests.browser.test_accounts_browser import open_page, sign_in, sign_up, unique_email, verify
from tests.browser.test_library_browser import generate, seed_images

SEEDED = 200
VIEWPORT = {"width": 1360, "height": 900}
GOAL_MS = 100

# Click the n-th tile link and time the lightbox: {dialog: ms, picture: ms}.
OPEN_JS = """async ([grid, n]) => {
  const link = document.querySelectorAll(`${grid} a.gallery-open`)[n];
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


def series(page: Page, grid: str, n: int) -> list[dict[str, float]]:
    out = []
    for k in range(n):
        out.append(page.evaluate(OPEN_JS, [grid, k + 1]))  # tile 0 was opened once, unmeasured
        page.keyboard.press("Escape")
        expect(page.locator("#lightbox")).to_have_count(0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="clicks per page")
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if not chromium:
        sys.exit("Debian's chromium is missing: apt-get install -y chromium")

    load_before = loadavg()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {os.cpu_count()} CPUs · "
          f"Python {sys.version.split()[0]} · load average before {load_before}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="palett-lightbox-browser-"))
    workdir, data_dir = tmp / "app", tmp / "data"
    data_dir.mkdir()
    results: dict[str, list[dict[str, float]]] = {}
    try:
        subprocess.run(["rsync", "-a", "--exclude", ".web", "--exclude", "data", "--exclude", "test-artifacts",
                        "--exclude", ".venv", "--exclude", ".git", f"{ROOT}/", f"{workdir}/"], check=True)
        started = time.monotonic()
        port = free_port()
        with serve_app(workdir, data_dir, port, app_env(data_dir, port, {"SIGNUP_CREDITS": "100"})) as app, \
                sync_playwright() as p:
            url = app.url
            print(f"app up at {url} after {time.monotonic() - started:.0f} s (build + start)", flush=True)
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport=VIEWPORT).new_page()
            email = unique_email("bench")
            sign_up(page, url, email)
            verify(page, url, email)
            sign_in(page, url, email)
            generate(page, url, "the newest picture of all")
            seed_images(data_dir, email, SEEDED)
            publish_all(data_dir, email)
            for name, path, grid in (("gallery", "/gallery", "#gallery-grid"), ("explore", "/explore",
                                                                                 "#explore-grid")):
                open_page(page, url + path)
                expect(page.locator(f"{grid} a.gallery-open").nth(args.n + 1)).to_be_attached()
                page.evaluate(OPEN_JS, [grid, 0])  # one unmeasured open: the dialog's code is loaded
                page.keyboard.press("Escape")
                expect(page.locator("#lightbox")).to_have_count(0)
                results[name] = series(page, grid, args.n)
            browser.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

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
