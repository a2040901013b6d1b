"""Google and GitHub sign-in end to end: our real authlib client against local providers.

Google is `oidc-provider-mock` (a real OpenID provider: discovery, signed id_token, nonce);
GitHub is tests/fakes/github.py (authorize, token with PKCE and client_secret_post, /user,
/user/emails). Our app runs in a TestClient that plays the browser, holding the palett_oauth
cookie between /start and /callback; a separate httpx client visits the provider.
"""

from __future__ import annotations

from collections.abc import Iterator
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from oidc_provider_mock import run_server_in_thread
from sqlalchemy import func
from sqlmodel import select
from starlette.testclient import TestClient

from palett.models import Account, User
from palett.services.accounts import sessions
from palett.services.accounts import users as accounts
from palett.services.accounts.security import token_hash
from palett.services.billing import credits
from tests.conftest import reset_caches
from tests.fakes.github import FakeGitHub, github_user, s256
from tests.fakes.server import serve_in_thread

APP = "http://testserver"
PW = "violet-otter-lamp-42"
COOKIE = "palett_session"
NAMES = {"google": "Google", "github": "GitHub"}


async def reflex_stub(scope, receive, send) -> None:
    """Stands in for the Reflex app behind mount_api."""
    await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"not found"})


def browser() -> TestClient:
    """A fresh browser on our app (its own cookie jar). Build it after the env is set."""
    from palett.api import mount_api

    reset_caches()
    return TestClient(mount_api(reflex_stub), base_url=APP, follow_redirects=False)


# --- providers -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def oidc_server() -> Iterator[str]:
    with run_server_in_thread() as server:
        # Bound to 127.0.0.1 (AF_INET); the issuer is taken from the Host we use.
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def google(oidc_server, monkeypatch) -> str:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the mock refuses plain http otherwise
    monkeypatch.setenv("GOOGLE_CLIENT_ID", "palett-google")
    monkeypatch.setenv("GOOGLE_CLIENT_SECRET", "google-secret")
    monkeypatch.setenv("GOOGLE_METADATA_URL", f"{oidc_server}/.well-known/openid-configuration")
    return oidc_server


@pytest.fixture
def github(monkeypatch) -> Iterator[FakeGitHub]:
    fake = FakeGitHub("palett-github", "github-secret", f"{APP}/api/oauth/github/callback")
    base, stop = serve_in_thread(fake.app)
    monkeypatch.setenv("GITHUB_CLIENT_ID", fake.client_id)
    monkeypatch.setenv("GITHUB_CLIENT_SECRET", fake.client_secret)
    monkeypatch.setenv("GITHUB_AUTHORIZE_URL", f"{base}/login/oauth/authorize")
    monkeypatch.setenv("GITHUB_TOKEN_URL", f"{base}/login/oauth/access_token")
    monkeypatch.setenv("GITHUB_API_URL", base)
    fake.base_url = base
    yield fake
    stop()


@pytest.fixture
def closed_url() -> str:
    """A URL on 127.0.0.1 where a server just stopped: connections are refused."""
    base, stop = serve_in_thread(reflex_stub)
    stop()
    return base


@pytest.fixture
def app(db_url, monkeypatch) -> Iterator[None]:
    """Our app's settings; the database is `db_url` (SQLite and PostgreSQL)."""
    monkeypatch.setenv("PUBLIC_URL", APP)
    monkeypatch.setenv("SECRET_KEY", "test-secret-for-oauth-session-cookie-0123456789")
    reset_caches()
    yield
    from palett.services.common.db import engine_for

    engine_for(db_url).dispose()  # the app's pool, before the fixture drops the tables


# --- the browser's round trip ----------------------------------------------------------------


def start(client: TestClient, provider: str, **query: str) -> str:
    resp = client.get(f"/api/oauth/{provider}/start", params=query)
    assert resp.status_code == 302, resp.text
    assert "palett_oauth" in set_cookies(resp)
    return resp.headers["location"]


def github_round_trip(client: TestClient, **query: str) -> str:
    """/start, then the provider approves: returns the callback URL the browser lands on."""
    with httpx.Client() as outside:
        back = outside.get(start(client, "github", **query))
    assert back.status_code == 302, back.text
    return back.headers["location"]


def google_round_trip(client: TestClient, issuer: str, sub: str, **claims: object) -> str:
    with httpx.Client() as outside:
        outside.put(f"{issuer}/users/{sub}", json=claims).raise_for_status()
        authorize_url = start(client, "google")
        assert authorize_url.startswith(f"{issuer}/oauth2/authorize?")
        form = outside.get(authorize_url)
        assert form.status_code == 200 and 'name="sub"' in form.text
        back = outside.post(authorize_url, data={"sub": sub})  # the form posts to its own URL
    assert back.status_code == 302, back.text
    return back.headers["location"]


def set_cookies(resp: httpx.Response) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for header in resp.headers.get_list("set-cookie"):
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def signed_in(resp: httpx.Response, to: str = "/app") -> str:
    """The new session token, after checking the response is a sign-in that lands on `to`."""
    assert resp.status_code == 303, resp.text
    assert resp.headers["location"] == f"{APP}{to}"
    token = set_cookies(resp).get(COOKIE)
    assert token
    return token


def assert_error(resp: httpx.Response, code: str, path: str = "/signin") -> None:
    assert resp.status_code == 303, resp.text
    url = urlsplit(resp.headers["location"])
    assert (url.scheme, url.netloc, url.path) == ("http", "testserver", path)
    assert parse_qs(url.query)["error"] == [code]
    assert COOKIE not in set_cookies(resp)


def assert_notice(resp: httpx.Response, notice: str) -> None:
    assert resp.status_code == 303, resp.text
    assert resp.headers["location"] == f"{APP}/settings?notice={notice}"
    assert COOKIE not in set_cookies(resp)


def session_user(db, token: str) -> User | None:
    with db() as s:
        found = sessions.lookup(s, token_hash(token))
        return found[1] if found else None


def count(db, model) -> int:
    with db() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def links(db, user_id: int) -> list[tuple[str, str]]:
    with db() as s:
        return sorted((a.provider, a.provider_account_id) for a in accounts.linked_accounts(s, user_id))


def make_user(db, email: str, *, verified: bool = True, password: str | None = PW) -> tuple[int, str]:
    """A user and a live session token for them."""
    with db() as s:
        user = accounts.create_user(s, email=email, name="Ada", verified=verified, password=password)
        assert user.id is not None
        return user.id, sessions.create(s, user.id)


def signed_in_browser(token: str) -> TestClient:
    client = browser()
    client.cookies.set(COOKIE, token)
    return client


# --- sign-up and sign-in ---------------------------------------------------------------------


def test_google_sign_in_creates_a_verified_user_with_credits(db, app, google):
    client = browser()
    callback = google_round_trip(client, google, "google-sub-ada", email="Ada@Example.com", email_verified=True,
                                 name="Ada Lovelace", picture="https://example.com/ada.png")
    assert callback.startswith(f"{APP}/api/oauth/google/callback?")
    assert {"code", "state"} <= parse_qs(urlsplit(callback).query).keys()
    token = signed_in(client.get(callback))

    with db() as s:
        (user,) = s.exec(select(User)).all()
        assert (user.email, user.name, user.email_verified, user.password_hash) == (
            "ada@example.com", "Ada Lovelace", True, None)
        assert user.image == "https://example.com/ada.png"
        assert user.credits == 10 == credits.ledger_sum(s, user.id)
        (account,) = s.exec(select(Account)).all()
        assert (account.user_id, account.provider, account.provider_account_id, account.email) == (
            user.id, "google", "google-sub-ada", "Ada@Example.com")
    assert session_user(db, token).id == user.id
    assert client.cookies[COOKIE] == token
    assert "palett_oauth" not in client.cookies  # the flow's state was spent, its cookie cleared


def test_github_sign_in_uses_pkce_and_client_secret_post_and_signs_in_again(db, app, github):
    github.approving = github_user(4242, "octocat", "octo@example.com", name="Mona Octocat")
    client = browser()

    authorize_url = start(client, "github")
    assert authorize_url.startswith(f"{github.base_url}/login/oauth/authorize?")
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["client_id"] == ["palett-github"]
    assert query["redirect_uri"] == [f"{APP}/api/oauth/github/callback"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["scope"] == ["read:user user:email"]
    with httpx.Client() as outside:
        callback = outside.get(authorize_url).headers["location"]
    first = signed_in(client.get(callback))

    (sent,) = github.token_requests
    assert sent["authorization"] is None  # no HTTP Basic: credentials went in the body
    assert sent["form"]["client_id"] == "palett-github" and sent["form"]["client_secret"] == "github-secret"
    (grant,) = github.grants.values()
    assert grant.used and grant.state == query["state"][0]
    assert s256(sent["form"]["code_verifier"]) == grant.code_challenge == query["code_challenge"][0]

    with db() as s:
        (user,) = s.exec(select(User)).all()
        assert (user.email, user.name, user.email_verified) == ("octo@example.com", "Mona Octocat", True)
        assert user.image == "https://avatars.githubusercontent.com/u/4242?v=4"
        assert user.credits == 10 == credits.ledger_sum(s, user.id)
    assert links(db, user.id) == [("github", "4242")]
    assert session_user(db, first).id == user.id

    # Later, in another browser: the same GitHub id signs into the same account.
    github.approving = github_user(4242, "octocat", "new-address@example.com")
    other = browser()
    second = signed_in(other.get(github_round_trip(other)))
    assert second != first and session_user(db, second).id == user.id
    assert count(db, User) == 1 and count(db, Account) == 1
    with db() as s:
        assert s.get(User, user.id).credits == 10  # no second welcome grant


def test_the_return_address_rides_in_the_oauth_state_and_is_checked_again(db, app, github):
    github.approving = github_user(4243, "remixer", "remixer@example.com")
    client = browser()
    authorize_url = start(client, "github", next="/studio?remix=abc123")
    assert "remix" not in authorize_url  # kept server-side with the state, never shown to the provider
    with httpx.Client() as outside:
        callback = outside.get(authorize_url).headers["location"]
    signed_in(client.get(callback), to="/studio?remix=abc123")

    for attempt in ("//evil.com", "/\\evil.com", "https://evil.com", "%2F%2Fevil.com", "javascript:alert(1)"):
        other = browser()
        signed_in(other.get(github_round_trip(other, next=attempt)))  # lands on /app


def test_a_refused_oauth_sign_in_keeps_the_return_address(db, app, github):
    github.deny = True
    client = browser()
    back = client.get(github_round_trip(client, next="/u/7-ada"))
    assert_error(back, "oauth_failed")
    assert parse_qs(urlsplit(back.headers["location"]).query)["next"] == ["/u/7-ada"]


# --- linking rules ---------------------------------------------------------------------------


def test_verified_provider_email_links_to_an_existing_password_account(db, app, github):
    user_id, old_session = make_user(db, "ada@example.com", verified=True)
    github.approving = github_user(7, "ada", "ADA@example.com")
    client = browser()

    token = signed_in(client.get(github_round_trip(client)))

    assert session_user(db, token).id == user_id
    assert count(db, User) == 1 and links(db, user_id) == [("github", "7")]
    with db() as s:
        user = s.get(User, user_id)
        assert user.password_hash and user.email_verified  # a verified account keeps its password
        assert user.credits == 10 == credits.ledger_sum(s, user_id)
    assert session_user(db, old_session).id == user_id


def test_verified_provider_email_takes_over_an_unverified_account(db, app, google):
    user_id, squatter_session = make_user(db, "ada@example.com", verified=False)
    client = browser()

    token = signed_in(client.get(google_round_trip(client, google, "google-sub-owner",
                                                   email="ada@example.com", email_verified=True)))

    assert session_user(db, token).id == user_id
    assert count(db, User) == 1 and links(db, user_id) == [("google", "google-sub-owner")]
    with db() as s:
        user = s.get(User, user_id)
        assert user.password_hash is None and user.email_verified
    assert session_user(db, squatter_session) is None  # whoever set the password is signed out


@pytest.mark.parametrize("provider", ["google", "github"])
def test_unverified_provider_email_never_takes_over_an_account(db, app, google, github, provider):
    user_id, _ = make_user(db, "ada@example.com", verified=True)
    client = browser()
    if provider == "google":
        callback = google_round_trip(client, google, "google-sub-mallory", email="ada@example.com",
                                     email_verified=False)
    else:
        github.approving = github_user(666, "mallory", "ada@example.com", verified=False)
        callback = github_round_trip(client)

    resp = client.get(callback)

    assert_error(resp, "oauth_unverified_email")
    assert parse_qs(urlsplit(resp.headers["location"]).query)["provider"] == [NAMES[provider]]
    assert count(db, Account) == 0 and count(db, User) == 1
    with db() as s:
        assert s.get(User, user_id).password_hash


def test_signed_in_user_connects_github_and_nobody_else_can_take_it(db, app, github):
    ada_id, ada_token = make_user(db, "ada@example.com")
    github.approving = github_user(99, "ada-codes", "someone-else@example.com")
    ada = signed_in_browser(ada_token)

    assert_notice(ada.get(github_round_trip(ada)), "linked")
    assert links(db, ada_id) == [("github", "99")]
    assert count(db, User) == 1

    bob_id, bob_token = make_user(db, "bob@example.com")
    bob = signed_in_browser(bob_token)
    assert_error(bob.get(github_round_trip(bob)), "oauth_taken", path="/settings")
    assert links(db, bob_id) == [] and links(db, ada_id) == [("github", "99")]


# --- state, replay, refusal and outages ------------------------------------------------------


def test_forged_state_is_refused(db, app, github):
    github.approving = github_user(1, "octo", "octo@example.com")
    client = browser()
    callback = urlsplit(github_round_trip(client))
    code = parse_qs(callback.query)["code"][0]

    assert_error(client.get(f"/api/oauth/github/callback?code={code}&state=never-issued"), "oauth_state")
    # A browser that never started a flow at all.
    assert_error(browser().get(f"/api/oauth/github/callback?code={code}&state=never-issued"), "oauth_state")
    assert github.token_requests == []  # refused before the code was spent
    assert count(db, User) == 0


def test_replayed_callback_is_refused(db, app, github):
    github.approving = github_user(1, "octo", "octo@example.com")
    client = browser()
    callback = github_round_trip(client)
    flow_cookie = client.cookies["palett_oauth"]
    signed_in(client.get(callback))

    # Same browser: the state was spent with the first callback.
    assert_error(client.get(callback), "oauth_state")
    # An attacker holding a copy of the flow cookie gets past the state check, but the code is single-use.
    attacker = browser()
    attacker.cookies.set("palett_oauth", flow_cookie)
    assert_error(attacker.get(callback), "oauth_failed")
    assert [r["form"]["code"] for r in github.token_requests].count(parse_qs(urlsplit(callback).query)["code"][0]) == 2
    assert count(db, User) == 1
    with db() as s:
        assert len(sessions.active(s, s.exec(select(User)).one().id)) == 1


def test_github_token_endpoint_down(db, app, github, closed_url, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN_URL", f"{closed_url}/login/oauth/access_token")
    github.approving = github_user(1, "octo", "octo@example.com")
    client = browser()

    resp = client.get(github_round_trip(client))

    assert_error(resp, "oauth_unavailable")
    assert parse_qs(urlsplit(resp.headers["location"]).query)["provider"] == ["GitHub"]
    assert count(db, User) == 0 and count(db, Account) == 0


def test_google_metadata_unreachable_at_start(db, app, google, closed_url, monkeypatch):
    monkeypatch.setenv("GOOGLE_METADATA_URL", f"{closed_url}/.well-known/openid-configuration")
    client = browser()

    resp = client.get("/api/oauth/google/start")

    assert_error(resp, "oauth_unavailable")
    assert count(db, User) == 0


@pytest.mark.parametrize("provider", ["google", "github"])
def test_user_denies_on_the_provider(db, app, google, github, provider):
    client = browser()
    if provider == "github":
        github.deny = True
        callback = github_round_trip(client)
    else:
        with httpx.Client() as outside:
            callback = outside.post(start(client, "google"), data={"action": "deny"}).headers["location"]
    assert parse_qs(urlsplit(callback).query)["error"] == ["access_denied"]

    assert_error(client.get(callback), "oauth_failed")
    assert count(db, User) == 0 and count(db, Account) == 0


# --- unlinking and switched-off providers ----------------------------------------------------


def test_unlink_keeps_the_last_way_to_sign_in(db, app, github):
    github.approving = github_user(5, "octo", "octo@example.com")
    client = browser()
    signed_in(client.get(github_round_trip(client)))
    with db() as s:
        user_id = s.exec(select(User)).one().id

    resp = client.post("/api/oauth/github/unlink", headers={"origin": APP})

    assert_error(resp, "last_login_method", path="/settings")
    assert links(db, user_id) == [("github", "5")]


def test_unlink_with_a_password(db, app, github):
    user_id, token = make_user(db, "ada@example.com")
    github.approving = github_user(5, "octo", "octo@example.com")
    client = signed_in_browser(token)
    assert_notice(client.get(github_round_trip(client)), "linked")

    assert_notice(client.post("/api/oauth/github/unlink", headers={"origin": APP}), "unlinked")
    assert links(db, user_id) == []
    assert session_user(db, token).id == user_id


def test_unlink_needs_a_session_and_a_same_site_post(db, app, github):
    client = browser()
    resp = client.post("/api/oauth/github/unlink", headers={"origin": APP})
    assert resp.status_code == 303 and resp.headers["location"] == f"{APP}/signin?error=signed_out"
    assert client.post("/api/oauth/github/unlink", headers={"origin": "https://evil.example"}).status_code == 403


def test_providers_without_keys_are_not_found(monkeypatch):
    monkeypatch.setenv("PUBLIC_URL", APP)
    monkeypatch.delenv("GOOGLE_CLIENT_SECRET", raising=False)
    monkeypatch.setenv("GITHUB_CLIENT_ID", "only-the-id")  # a secret is needed too
    monkeypatch.delenv("GITHUB_CLIENT_SECRET", raising=False)
    client = browser()
    for path in ("/api/oauth/google/start", "/api/oauth/google/callback?code=x&state=y",
                 "/api/oauth/github/start", "/api/oauth/twitter/start"):
        assert client.get(path).status_code == 404, path
