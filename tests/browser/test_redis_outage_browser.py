"""Redis (Reflex's state store) goes down under an open studio and comes back: the user reads "try again
shortly" (never a 500 or "contact the administrator"), and the app recovers without a restart.

A second app instance serves the session app's frontend build (REDIS_URL is not part of the build) with
REDIS_URL pointing at a redis-server of this test's own; the machine's Redis is never touched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from palett.services.common.errors import message_for
from tests.browser.conftest import RunningApp, app_env, free_port, serve_session_build
from tests.browser.test_accounts_browser import open_page
from tests.browser.test_studio_browser import pick_model, signed_in_page
from tests.integration.test_chaos import OwnRedis

TRY_AGAIN = message_for("try_again_shortly")


@pytest.fixture(scope="module")
def redis_and_app(running_app, app_extra_env, tmp_path_factory) -> Iterator[tuple[OwnRedis, RunningApp]]:
    run_dir = tmp_path_factory.mktemp("redis-outage")
    (run_dir / "redis").mkdir()
    redis = OwnRedis(run_dir / "redis")
    redis.start()
    data_dir = run_dir / "data"
    data_dir.mkdir()
    port = free_port()
    env = app_env(data_dir, port, {**app_extra_env, "REDIS_URL": redis.url, "GRANIAN_WORKERS": "1"})
    try:
        with serve_session_build(data_dir, port, env) as app:
            yield redis, app
    finally:
        redis.stop()


def test_redis_down_says_try_again_shortly_and_the_studio_recovers_by_itself(redis_and_app, browser, shots):
    redis, app = redis_and_app
    page = signed_in_page(browser, app.url)
    open_page(page, f"{app.url}/studio")
    pick_model(page, "Local preview — not AI")
    page.get_by_label("Prompt", exact=True).fill("a lighthouse in the fog")
    expect(page.locator("#generate")).to_be_enabled()  # the prompt reached the server before Redis goes

    redis.stop()
    page.locator("#generate").click()  # the tab's state can't be loaded: a plain toast, the page stays as it is
    expect(page.get_by_text(TRY_AGAIN)).to_be_visible()
    expect(page.get_by_text("An error occurred")).to_have_count(0)
    expect(page.get_by_label("Prompt", exact=True)).to_have_value("a lighthouse in the fog")

    response = page.request.get(f"{app.url}/api/unavailable?next=//evil.example")  # never sends anyone off-site
    assert response.status == 503 and 'href="/"' in response.text()

    page.reload()  # a page that can't load its state goes to the outage page, not a half-built studio
    page.wait_for_url(re.compile(r"/api/unavailable\?next=%2Fstudio"))
    expect(page.get_by_role("heading", name="Try again shortly")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(TRY_AGAIN)
    expect(page.get_by_role("link", name="Try again now")).to_have_attribute("href", "/studio")
    if shots:
        page.screenshot(path=str(shots / "redis-outage.png"))

    redis.start()  # an empty Redis at the same address: the page comes back by itself, no restart
    page.wait_for_url(re.compile(r"/studio$"), timeout=30_000)
    pick_model(page, "Local preview — not AI")
    page.get_by_label("Prompt", exact=True).fill("a lighthouse in the fog")
    page.locator("#generate").click()
    card = page.locator(".job-card").first
    expect(card.locator(".job-status")).to_have_text("Done", timeout=30_000)
    expect(page.get_by_text("An error occurred")).to_have_count(0)
    page.context.close()  # an open websocket would hold the app's graceful stop for its full 30 s
