"""The setup every browser bench shares: a copy of the tree served as `make run` would (temp folder, prod
build, a free 127.0.0.1 port, temp data), Debian's Chromium, and a verified, signed-in user on one page."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from bench._common import loadavg
from tests.browser.conftest import CHROMIUM_ARGS, ROOT, app_env, free_port, serve_app
from tests.browser.test_accounts_browser import sign_in, sign_up, unique_email, verify

VIEWPORT = {"width": 1360, "height": 900}


@dataclass
class BrowserApp:
    url: str
    data_dir: Path
    browser: Browser
    context: BrowserContext  # the signed-in user's
    page: Page
    email: str


@contextmanager
def signed_in_app(name: str) -> Iterator[BrowserApp]:
    """Print the run's header, start the app copy and yield it with a signed-in page; all goes away after."""
    chromium = shutil.which("chromium")
    if not chromium:
        sys.exit("Debian's chromium is missing: apt-get install -y chromium")
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {os.cpu_count()} CPUs · "
          f"Python {sys.version.split()[0]} · load average before {loadavg()}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"palett-{name}-"))
    workdir, data_dir = tmp / "app", tmp / "data"
    data_dir.mkdir()
    try:
        subprocess.run(["rsync", "-a", "--exclude", ".web", "--exclude", "data", "--exclude", "test-artifacts",
                        "--exclude", ".venv", "--exclude", ".git", f"{ROOT}/", f"{workdir}/"], check=True)
        started = time.monotonic()
        port = free_port()
        with serve_app(workdir, data_dir, port, app_env(data_dir, port, {"SIGNUP_CREDITS": "100"})) as app, \
                sync_playwright() as p:
            print(f"app up at {app.url} after {time.monotonic() - started:.0f} s (build + start)", flush=True)
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            email = unique_email("bench")
            sign_up(page, app.url, email)
            verify(page, app.url, email)
            sign_in(page, app.url, email)
            try:
                yield BrowserApp(app.url, data_dir, browser, context, page, email)
            finally:
                browser.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
