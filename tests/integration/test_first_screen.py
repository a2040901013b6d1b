"""A full load of /gallery with a session cookie carries the person's newest thumbnails in its HTML (palett/api/
first_screen.py): their own, escaped, never cached; anyone else, or any other view, gets the page as built."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.testclient import TestClient

from palett.api import first_screen
from palett.api.cookies import HashSessionCookie
from palett.components.gallery.first_screen import FIRST_SCREEN, PLACEHOLDER_HTML
from palett.models import utcnow
from palett.services.accounts import sessions
from palett.services.accounts.security import token_hash
from tests.integration.test_gallery import add_image, new_user

PAGE = '<html><body><main><div class="rx-Html gallery-grid" id="gallery-loading">{}</div></main></body></html>'


@pytest.fixture
def client(db_url, tmp_path, monkeypatch):
    (tmp_path / "gallery").mkdir()
    (tmp_path / "gallery/index.html").write_text(PAGE.format(PLACEHOLDER_HTML))
    monkeypatch.setattr(first_screen, "static_dir", lambda: tmp_path)
    built = Starlette()
    built.add_route("/{path:path}", lambda request: PlainTextResponse("the page as built"))
    # As in mount_api: the wrapper runs inside HashSessionCookie, which hashes the session token first.
    with TestClient(HashSessionCookie(first_screen.serve_first_screens(built))) as c:
        yield c


def signed_in(client, db, user_id: int) -> TestClient:
    with db() as s:
        client.cookies.set("palett_session", sessions.create(s, user_id))
    return client


def test_the_gallery_html_holds_the_newest_thumbnails_of_the_signed_in_person(db, client):
    alice, bob = new_user(db, "alice@example.com"), new_user(db, "bob@example.com")
    start = utcnow() - timedelta(hours=1)
    alices = [add_image(db, alice, f"harbour {i}", created=start + timedelta(minutes=i), store=True)
              for i in range(FIRST_SCREEN + 2)]
    hostile = add_image(db, alice, '<script>alert("x")</script> & "quotes"', created=utcnow(), store=True)
    bobs = add_image(db, bob, "bob's own", store=True)

    page = signed_in(client, db, alice).get("/gallery/")
    assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"
    html = page.text
    assert PLACEHOLDER_HTML not in html
    shown = [int(part.split('"')[0]) for part in html.split('href="/image/')[1:]]
    assert shown == [hostile, *reversed(alices)][:FIRST_SCREEN]  # newest first, one screen
    assert f'/image/{bobs}"' not in html and "bob&#x27;s own" not in html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;" in html
    assert html.count('fetchpriority="high"') == 6 and 'src="/api/media/u/' in html  # signed thumbnail URLs


def test_everyone_else_gets_the_page_as_built(db, client):
    nobody = client.get("/gallery/")
    assert nobody.text == "the page as built"  # no cookie
    client.cookies.set("palett_session", "not-a-session")
    assert client.get("/gallery/").text == "the page as built"
    alice = new_user(db, "alice@example.com")
    add_image(db, alice, "harbour", store=True)
    with db() as s:
        token = sessions.create(s, alice)
    client.cookies.set("palett_session", token_hash(token))  # the hash is no credential: it is hashed again
    assert client.get("/gallery/").text == "the page as built"
    empty = new_user(db, "empty@example.com")
    assert signed_in(client, db, empty).get("/gallery/").text == "the page as built"  # nothing to show yet
    signed_in(client, db, alice)
    assert "harbour" in client.get("/gallery/").text
    assert client.get("/gallery/?q=harbour").text == "the page as built"  # another view than the default
    assert client.get("/studio/").text == "the page as built"
    assert client.head("/gallery/").text == ""  # HEAD is the built page's, not a personal one
