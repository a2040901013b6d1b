"""The auth form posts, end to end over HTTP (TestClient), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from palett.api import mount_api
from palett.services.accounts import mailer, sessions
from palett.services.accounts.security import token_hash
from palett.services.common.db import session_scope

PW = "violet-otter-lamp-42"
ORIGIN = {"origin": "http://testserver"}


async def not_found(scope, receive, send):
    await send({"type": "http.response.start", "status": 404, "headers": []})
    await send({"type": "http.response.body", "body": b""})


@pytest.fixture
def client(db_url, monkeypatch):
    from tests.conftest import reset_caches

    monkeypatch.setenv("PUBLIC_URL", "http://testserver")
    reset_caches()
    with TestClient(mount_api(not_found), follow_redirects=False) as c:
        yield c


def where(response) -> tuple[str, dict[str, str]]:
    assert response.status_code == 303, response.text
    url = urlsplit(response.headers["location"])
    return url.path, {k: v[0] for k, v in parse_qs(url.query).items()}


def link_from_outbox(kind: str) -> str:
    return re.search(rf"/{kind}\?token=(\S+)", mailer.outbox()[0].text).group(1)


def signed_up(client, email="ada@example.com") -> None:
    client.post("/api/auth/signup", data={"email": email, "password": PW, "name": "Ada"}, headers=ORIGIN)
    client.post("/api/auth/verify", data={"token": link_from_outbox("verify")}, headers=ORIGIN)


def test_signup_verify_signin_signout(client):
    path, q = where(client.post("/api/auth/signup", data={"email": "ada@example.com", "password": PW},
                                headers=ORIGIN))
    assert (path, q["notice"]) == ("/signin", "check_email")
    path, q = where(client.post("/api/auth/login", data={"email": "ada@example.com", "password": PW},
                                headers=ORIGIN))
    assert (path, q["error"]) == ("/signin", "unverified")
    path, q = where(client.post("/api/auth/verify", data={"token": link_from_outbox("verify")}, headers=ORIGIN))
    assert (path, q["notice"]) == ("/signin", "verified")
    response = client.post("/api/auth/login", data={"email": "ada@example.com", "password": PW}, headers=ORIGIN)
    assert where(response)[0] == "/app"
    cookie = response.cookies["palett_session"]
    session_cookie, hint_cookie = (c.lower() for c in response.headers.get_list("set-cookie"))
    assert session_cookie.startswith("palett_session=")
    assert "httponly" in session_cookie and "samesite=lax" in session_cookie
    # the hint a page script may read holds no token, only that someone signed in here
    assert hint_cookie.startswith("palett_signed_in=1;") and "httponly" not in hint_cookie
    with session_scope() as db:
        assert sessions.lookup(db, token_hash(cookie))
    out = client.post("/api/auth/logout", headers=ORIGIN, follow_redirects=False)
    assert {c.split("=", 1)[0] for c in out.headers.get_list("set-cookie")} == {"palett_session", "palett_signed_in"}
    assert all("max-age=0" in c.lower() for c in out.headers.get_list("set-cookie"))  # both removed
    path, q = where(client.post("/api/auth/logout", headers=ORIGIN))
    assert path == "/"
    with session_scope() as db:
        assert sessions.lookup(db, token_hash(cookie)) is None


def test_cross_site_posts_are_refused(client):
    r = client.post("/api/auth/login", data={"email": "a@example.com", "password": PW},
                    headers={"origin": "https://evil.example"})
    assert r.status_code == 403
    r = client.post("/api/auth/logout", headers={"sec-fetch-site": "cross-site"})
    assert r.status_code == 403


def test_bad_input_comes_back_with_a_code_and_keeps_what_was_typed(client):
    path, q = where(client.post("/api/auth/signup", data={"email": "nope", "password": PW, "name": "Ada"},
                                headers=ORIGIN))
    assert (path, q["error"], q["email"], q["name"]) == ("/signup", "invalid_email", "nope", "Ada")
    _, q = where(client.post("/api/auth/verify", data={"token": "forged"}, headers=ORIGIN))
    assert q["error"] == "token_invalid"


def test_sign_up_answers_a_taken_email_exactly_like_a_new_one(client):
    def sign_up():  # the same address twice: new the first time, taken the second
        return client.post("/api/auth/signup", data={"email": "ada@example.com", "password": PW, "name": "Ada"},
                           headers=ORIGIN)

    new, taken = sign_up(), sign_up()
    assert (taken.status_code, taken.headers["location"], taken.content) == (
        new.status_code, new.headers["location"], new.content)
    assert where(taken) == ("/signin", {"notice": "check_email", "email": "ada@example.com"})
    assert "set-cookie" not in taken.headers
    note, verification = mailer.outbox()[:2]  # newest first
    assert note.to == verification.to == "ada@example.com"
    assert "Someone tried to sign up" in note.subject and "/verify?token=" not in note.text


def test_throttle_message_after_five_failures(client):
    signed_up(client)
    for _ in range(5):
        _, q = where(client.post("/api/auth/login", data={"email": "ada@example.com", "password": "wrong-pass-1"},
                                 headers=ORIGIN))
        assert q["error"] == "bad_credentials"
    _, q = where(client.post("/api/auth/login", data={"email": "ada@example.com", "password": PW}, headers=ORIGIN))
    assert q["error"] == "throttled" and int(q["minutes"]) >= 14


def test_forgot_and_reset(client):
    signed_up(client)
    assert where(client.post("/api/auth/forgot", data={"email": "ada@example.com"}, headers=ORIGIN))[1] == {
        "notice": "reset_sent"}
    token = link_from_outbox("reset")
    path, q = where(client.post("/api/auth/reset", data={"token": token, "password": "short", "confirm": "short"},
                                headers=ORIGIN))
    assert (path, q["error"], q["token"]) == ("/reset", "weak_password", token)
    new = "another-violet-otter"
    path, q = where(client.post("/api/auth/reset", data={"token": token, "password": new, "confirm": new},
                                headers=ORIGIN))
    assert (path, q["notice"]) == ("/signin", "password_reset")
    assert where(client.post("/api/auth/login", data={"email": "ada@example.com", "password": new},
                             headers=ORIGIN))[0] == "/app"


def test_account_routes_need_a_session(client):
    for route in ("/api/account/password", "/api/account/logout-others", "/api/account/delete"):
        path, q = where(client.post(route, data={"confirmation": "DELETE"}, headers=ORIGIN))
        assert (path, q["error"]) == ("/signin", "signed_out")


def test_change_password_sign_out_others_and_delete(client):
    signed_up(client)
    other = TestClient(client.app, follow_redirects=False)
    other.post("/api/auth/login", data={"email": "ada@example.com", "password": PW}, headers=ORIGIN)
    client.post("/api/auth/login", data={"email": "ada@example.com", "password": PW}, headers=ORIGIN)
    other_cookie = other.cookies["palett_session"]
    _, q = where(client.post("/api/account/password", data={"current_password": "wrong-one-123", "password": "x",
                                                             "confirm": "x"}, headers=ORIGIN))
    assert q["error"] == "wrong_password"
    new = "fresh-violet-otter"
    _, q = where(client.post("/api/account/password",
                             data={"current_password": PW, "password": new, "confirm": new}, headers=ORIGIN))
    assert q["notice"] == "password_changed"
    with session_scope() as db:
        assert sessions.lookup(db, token_hash(other_cookie)) is None
        assert sessions.lookup(db, token_hash(client.cookies["palett_session"]))
    _, q = where(client.post("/api/account/delete", data={"confirmation": "nope"}, headers=ORIGIN))
    assert q["error"] == "confirm_delete"
    path, q = where(client.post("/api/account/delete", data={"confirmation": "DELETE"}, headers=ORIGIN))
    assert (path, q["notice"]) == ("/", "deleted")
    _, q = where(client.post("/api/auth/login", data={"email": "ada@example.com", "password": new},
                             headers=ORIGIN))
    assert q["error"] == "bad_credentials"


def test_health(client):
    assert client.get("/api/health").json() == {"status": "ok"}


# --- the return address (`next`): Remix while signed out, then back where you were ----------------

ATTACKS = ["//evil.com", "/\\evil.com", "https://evil.com", "%2F%2Fevil.com", "/%2F%2Fevil.com", "/%5Cevil.com",
           "javascript:alert(1)", "/studio?remix=" + "a" * 400, "/ok\r\nLocation: https://evil.com", " /app",
           "/api/auth/logout", "/signin?next=//evil.com"]


def test_open_redirect_attempts_land_on_the_app(client):
    signed_up(client)
    for attempt in [*ATTACKS, "/u/1-ada"]:
        response = client.post("/api/auth/login", data={"email": "ada@example.com", "password": PW, "next": attempt},
                               headers=ORIGIN)
        expected = "/u/1-ada" if attempt == "/u/1-ada" else "/app"  # the one same-site page does go back
        assert response.headers["location"] == "http://testserver" + expected, attempt


def test_the_return_address_survives_sign_up_the_mail_and_sign_in(client):
    back = "/studio?remix=tok_123"
    path, q = where(client.post("/api/auth/signup", data={"email": "ada@example.com", "password": PW, "next": back},
                                headers=ORIGIN))
    assert (path, q["notice"], q["next"]) == ("/signin", "check_email", back)
    link = re.search(r"/verify\?\S+", mailer.outbox()[0].text).group(0)
    mailed = parse_qs(urlsplit(link).query)
    assert mailed["next"] == [back]
    path, q = where(client.post("/api/auth/verify", data={"token": mailed["token"][0], "next": mailed["next"][0]},
                                headers=ORIGIN))
    assert (path, q["notice"], q["next"]) == ("/signin", "verified", back)
    path, q = where(client.post("/api/auth/login", data={"email": "ada@example.com", "password": "wrong-password-1",
                                                         "next": back}, headers=ORIGIN))
    assert (path, q["error"], q["next"]) == ("/signin", "bad_credentials", back)  # a typo keeps it too
    response = client.post("/api/auth/login", data={"email": "ada@example.com", "password": PW, "next": back},
                           headers=ORIGIN)
    assert response.headers["location"] == "http://testserver" + back


def test_a_hostile_return_address_is_dropped_at_every_hop(client):
    path, q = where(client.post("/api/auth/signup", data={"email": "ada@example.com", "password": PW,
                                                          "next": "//evil.com"}, headers=ORIGIN))
    assert "next" not in q
    assert "next" not in mailer.outbox()[0].text and "evil" not in mailer.outbox()[0].text
    path, q = where(client.post("/api/auth/verify", data={"token": link_from_outbox("verify"),
                                                          "next": "https://evil.com"}, headers=ORIGIN))
    assert (path, q["notice"]) == ("/signin", "verified") and "next" not in q
