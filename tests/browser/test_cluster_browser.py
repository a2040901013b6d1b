"""The multi-machine layout (scripts/cluster.py, `make cluster`) driven through Caddy in Chromium.

Caddy in front of two app instances, two procrastinate workers, PostgreSQL, Redis and moto's S3. PALETT_ENV is
unset (development mode) so the sign-up mail lands in the dev outbox, which both instances share through one
DATA_DIR; everything else is the production layout. Both instances serve a copy of the session app's frontend
build pointed at the proxy (`make cluster` builds its own): the pages compile the same under both apps'
settings (docs/benchmarks.md, "Test suite time").
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_accounts_browser import open_page, sign_in, sign_up, unique_email
from tests.browser.test_studio_browser import pick_model

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from scripts.cluster import Cluster, cluster  # noqa: E402


@pytest.fixture(scope="module")
def running_cluster(running_app, app_extra_env, tmp_path_factory) -> Iterator[Cluster]:
    extra = {**app_extra_env,
             "SIGNUP_LIMIT_PER_IP": "1000/hour", "MAIL_LIMIT_PER_IP": "1000/hour",
             "LOGIN_ATTEMPTS_PER_IP": "1000/15 minutes"}
    # running_app made the session build in .web (an app started by hand did not: then the cluster builds).
    web = None if os.environ.get("PALETT_TEST_APP_URL") else ROOT / ".web"
    with cluster(extra_env=extra, run_dir=tmp_path_factory.mktemp("cluster"), web=web) as c:
        yield c


def upstream(page: Page, url: str) -> str:
    """The instance Caddy sends this browser to (sticky cookie), from the header the proxy adds."""
    response = page.request.get(f"{url}/api/health")
    assert response.status == 200
    return response.headers["x-palett-upstream"]


def verify_from_outbox(page: Page, c: Cluster, email: str) -> None:
    """The dev outbox page refuses requests relayed by a proxy, so read the mail file both instances share."""
    deadline = time.time() + 15
    while True:
        for mail_file in sorted((c.run_dir / "data" / "outbox").glob("*.json"), reverse=True):
            mail = json.loads(mail_file.read_text())
            links = re.findall(r"\S+/verify\?token=\S+", mail["text"])
            if mail["to"] == email and links:
                assert links[0].startswith(c.url)  # PUBLIC_URL: the proxy
                open_page(page, links[0])
                page.get_by_role("button", name="Verify my email").click()
                page.wait_for_url(re.compile(r"/signin/?\?notice=verified"))
                return
        assert time.time() < deadline, "no verification mail in the outbox"
        time.sleep(0.25)


def pg(c: Cluster) -> psycopg.Connection:
    return psycopg.connect(c.database_url.replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True)


def test_the_cluster_survives_losing_the_instance_serving_the_tab(running_cluster, browser, fal_emulator, shots):
    c, url = running_cluster, running_cluster.url
    page = browser.new_context(viewport={"width": 1360, "height": 900}).new_page()
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    email = unique_email("cluster")
    sign_up(page, url, email)
    verify_from_outbox(page, c, email)
    sign_in(page, url, email)
    assert all(s.startswith(url.replace("http://", "ws://")) for s in sockets), sockets  # only ever the proxy

    # Generate with the local engine: the job runs on a worker, progress reaches the tab.
    open_page(page, f"{url}/studio")
    pick_model(page, "Local preview — not AI")
    page.get_by_label("Prompt", exact=True).fill("a lighthouse on a cliff")
    page.locator("#generate").click()
    card = page.locator(".job-card", has_text="a lighthouse on a cliff").first
    expect(card.locator(".job-status")).to_have_text(re.compile("Queued|Running|Done"))
    expect(card.locator(".job-status")).to_have_text("Done", timeout=60_000)
    expect(card.locator("img.result-img")).to_have_count(1)
    expect(page.locator("#credits-balance")).to_have_text("9")

    # Reload: the same job and balance, through the proxy; the image comes from S3 (moto).
    page.reload()
    page.wait_for_load_state("networkidle")
    card = page.locator(".job-card", has_text="a lighthouse on a cliff").first
    expect(card.locator(".job-status")).to_have_text("Done")
    expect(card.locator("img.result-img")).to_have_count(1)
    src = card.locator("img.result-img").get_attribute("src") or ""
    assert page.request.get(src if src.startswith("http") else url + src).status == 200

    # A Fal job that hangs at the provider until the test finishes it: the instance serving the tab dies meanwhile.
    fal_emulator.behave("fal-ai/flux/dev", "hang")
    pick_model(page, "FLUX.1 dev")
    page.get_by_label("Prompt", exact=True).fill("a red fox in the snow, 35mm")
    page.locator("#generate").click()
    fox = page.locator(".job-card", has_text="a red fox in the snow").first
    expect(fox.locator(".job-log")).to_contain_text("Still generating", timeout=30_000)  # live, from a worker
    (record,) = fal_emulator.submits("fal-ai/flux/dev")

    serving = c.instance_for(upstream(page, url))
    other = "app-b" if serving == "app-a" else "app-a"
    sockets_before = len(sockets)
    c.kill(serving)  # kill -9 the instance holding this tab's websocket (Caddy's sticky cookie sends it there)
    assert not c.procs[serving].alive()

    # The page reconnects through the proxy, now to the other instance, and keeps showing progress.
    deadline = time.time() + 30
    while len(sockets) == sockets_before and time.time() < deadline:
        page.wait_for_timeout(250)
    assert len(sockets) > sockets_before, "the page did not open a new websocket after the kill"
    assert sockets[-1].startswith(url.replace("http://", "ws://"))
    assert c.instance_for(upstream(page, url)) == other
    fox_log = fox.locator(".job-log")
    seen = fox_log.inner_text()
    expect(fox_log).not_to_have_text(seen, timeout=20_000)  # new progress lines arrive on the new socket

    # The provider finishes: the job completes in the open page, charged once, submitted once.
    fal_emulator.finish(record.request_id)
    expect(fox.locator(".job-status")).to_have_text("Done", timeout=60_000)
    expect(fox.locator("img.result-img")).to_have_count(1)
    cost = int(re.sub(r"\D", "", fox.locator(".job-cost").inner_text()))
    expect(page.locator("#credits-balance")).to_have_text(str(9 - cost))
    page.screenshot(path=shots / "cluster-after-failover.png", full_page=True)
    assert len(fal_emulator.submits("fal-ai/flux/dev")) == 1

    with pg(c) as conn:
        (user_id, credits) = conn.execute('select id, credits from "user" where email = %s', (email,)).fetchone()
        (ledger,) = conn.execute("select coalesce(sum(delta), 0) from credit_transaction where user_id = %s",
                                 (user_id,)).fetchone()
        kinds = [k for (k,) in conn.execute("select kind from credit_transaction where user_id = %s order by id",
                                            (user_id,))]
        states = [s for (s,) in conn.execute("select status from job where user_id = %s order by id", (user_id,))]
    assert credits == ledger == 9 - cost
    assert kinds.count("capture") == 2 and kinds.count("refund") == 0, kinds
    assert len(states) == 2, states
