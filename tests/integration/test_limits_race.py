"""Every limit is one atomic hit-and-test: 50 parallel requests against real PostgreSQL and Redis,
counting what got through. Sign-in, sign-up, resend and forgot go through the real HTTP routes."""

from __future__ import annotations

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
from starlette.testclient import TestClient

from palett.api import mount_api
from palett.services.accounts import mailer
from palett.services.accounts import users as accounts
from palett.services.common.errors import UserError
from tests.conftest import reset_caches
from tests.integration.test_auth_routes import ORIGIN, PW, not_found
from tests.integration.test_pipeline_local import new_user, submit

REDIS_URL = "redis://127.0.0.1:6379/15"
BURST = 50
pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


@pytest.fixture
def tag(db_url, monkeypatch):
    """Redis on, under a key prefix of this test's own (other test runs share the server)."""
    tag = uuid.uuid4().hex[:10]
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("RATE_LIMIT_KEY_PREFIX", f"test-{tag}")
    monkeypatch.setenv("PUBLIC_URL", "http://testserver")
    reset_caches()
    yield tag
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"test-{tag}:*"):
        client.delete(key)


def http(tag: str) -> TestClient:
    """A client with an address of this test's own."""
    return TestClient(mount_api(not_found), follow_redirects=False, client=(f"203.0.113.{tag}", 50000))


def outcome(response) -> str:
    """What the person sees: the page they land on, with its notice or error."""
    assert response.status_code == 303, response.text
    url = urlsplit(response.headers["location"])
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    return query.get("error") or query.get("notice") or url.path


def burst(post, forms: list[dict[str, str]]) -> Counter[str]:
    with ThreadPoolExecutor(max_workers=BURST) as pool:
        return Counter(pool.map(lambda form: outcome(post(form)), forms))


def verified_user(db, email: str) -> None:
    with db() as s:
        accounts.create_user(s, email=email, verified=True, password=PW)


def test_fifty_parallel_guesses_get_five_password_checks_and_then_the_right_password_is_refused(db, tag):
    email = f"ada-{tag}@example.com"
    verified_user(db, email)
    with http(tag) as client:
        def login(form):
            return client.post("/api/auth/login", data=form, headers=ORIGIN)

        # The right password hides at the end of the burst: it may be one of the five checked, no more.
        guesses = [{"email": email, "password": f"guess-{i}"} for i in range(BURST - 1)]
        seen = burst(login, [*guesses, {"email": email, "password": PW}])
        assert seen["bad_credentials"] + seen["/app"] == 5, seen
        assert seen["throttled"] == BURST - 5
        assert outcome(login({"email": email, "password": PW})) == "throttled"


def test_fifty_parallel_guesses_across_accounts_from_one_ip_get_the_ip_limit(db, tag, monkeypatch):
    monkeypatch.setenv("LOGIN_ATTEMPTS_PER_IP", "5/15 minutes")
    reset_caches()
    with http(tag) as client:
        forms = [{"email": f"user{i}-{tag}@example.com", "password": "guess"} for i in range(BURST)]
        seen = burst(lambda form: client.post("/api/auth/login", data=form, headers=ORIGIN), forms)
    assert seen == {"bad_credentials": 5, "throttled": BURST - 5}


def test_fifty_parallel_sign_ups_from_one_ip_create_exactly_the_limit(db, tag, monkeypatch):
    monkeypatch.setenv("SIGNUP_LIMIT_PER_IP", "4/hour")
    reset_caches()
    with http(tag) as client:
        forms = [{"email": f"new{i}-{tag}@example.com", "password": PW} for i in range(BURST)]
        seen = burst(lambda form: client.post("/api/auth/signup", data=form, headers=ORIGIN), forms)
    assert seen == {"check_email": 4, "throttled": BURST - 4}
    assert len(mailer.outbox()) == 4


@pytest.mark.parametrize("route", ["forgot", "resend"])
def test_fifty_parallel_mail_requests_for_one_address_send_exactly_the_limit(db, tag, monkeypatch, route):
    monkeypatch.setenv("MAIL_LIMIT_PER_ADDRESS", "3/hour")
    monkeypatch.setenv("MAIL_LIMIT_PER_IP", "1000/hour")
    reset_caches()
    email = f"victim-{tag}@example.com"
    with db() as s:  # unverified, so resend has something to send too
        accounts.create_user(s, email=email, password=PW)
    with http(tag) as client:
        seen = burst(lambda form: client.post(f"/api/auth/{route}", data=form, headers=ORIGIN),
                     [{"email": email}] * BURST)
    assert seen["throttled"] == BURST - 3
    assert len([m for m in mailer.outbox() if m.to == email]) == 3


@pytest.mark.parametrize("route", ["forgot", "resend"])
def test_fifty_parallel_mail_requests_from_one_ip_pass_exactly_the_limit(db, tag, monkeypatch, route):
    monkeypatch.setenv("MAIL_LIMIT_PER_IP", "6/hour")
    reset_caches()
    with http(tag) as client:
        forms = [{"email": f"who{i}-{tag}@example.com"} for i in range(BURST)]
        seen = burst(lambda form: client.post(f"/api/auth/{route}", data=form, headers=ORIGIN), forms)
    assert seen["throttled"] == BURST - 6


def test_fifty_parallel_generations_start_exactly_the_plan_limit(db, tag, monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_FREE", "10/hour")
    reset_caches()
    user = new_user(db, email=f"maker-{tag}@example.com", credits_=500)

    def one(_: int) -> str:
        try:
            submit(db, user)
            return "started"
        except UserError as err:
            return err.code

    with ThreadPoolExecutor(max_workers=BURST) as pool:
        seen = Counter(pool.map(one, range(BURST)))
    assert seen == {"started": 10, "rate_limited": BURST - 10}
