"""Cross-user attempts on every library function and route that takes an id: all fail, and fail exactly like
an id that does not exist, so nobody learns that someone else's image, collection or job is there."""

from __future__ import annotations

import io
import zipfile
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from sqlmodel import select
from starlette.testclient import TestClient

from palett.api import library_routes, media_routes
from palett.models import GeneratedImage, Job, User
from palett.services.accounts import sessions
from palett.services.common.errors import UserError
from palett.services.generation import jobs, pipeline
from palett.services.library import gallery, usage
from palett.services.library import images as library
from tests.integration.test_gallery import add_image, new_user, run_job

MISSING = 987_654_321


@pytest.fixture
def world(db):
    """Alice owns a private image, a public one, a collection and a job; Bob owns one image."""
    alice, bob = new_user(db, "alice@example.com"), new_user(db, "bob@example.com")
    job = run_job(db, alice, {"model": "local-preview", "prompt": "alice's secret garden", "size": "square"})
    public = add_image(db, alice, "alice's public sky", store=True)
    with db() as s:
        private = s.exec(select(GeneratedImage.id).where(GeneratedImage.job_id == job)).one()
        token = gallery.set_public(s, alice, [public], True)[0].share_token
        album = gallery.create_collection(s, alice, "Alice's").id
        gallery.add_images(s, alice, album, [private, public])
        bob_album = gallery.create_collection(s, bob, "Bob's").id
    bobs = add_image(db, bob, "bob's own", store=True)
    return {"alice": alice, "bob": bob, "private": private, "public": public, "token": token, "album": album,
            "bob_album": bob_album, "bobs": bobs, "job": job}


def failure(call) -> str:
    with pytest.raises(UserError) as err:
        call()
    return err.value.code


def same_failure(call_with, theirs: int, code: str) -> None:
    """Someone else's id fails with the same code as an id that does not exist."""
    assert failure(lambda: call_with(theirs)) == code == failure(lambda: call_with(MISSING))


def test_every_service_that_takes_an_image_id_refuses_others(db, world):
    bob, private, public = world["bob"], world["private"], world["public"]
    with db() as s:
        for image in (private, public):  # public or not, it is still not Bob's to change
            same_failure(lambda i: gallery.detail(s, bob, i), image, "image_not_found")
            same_failure(lambda i: gallery.neighbours(s, bob, i), image, "image_not_found")
            same_failure(lambda i: gallery.set_favorite(s, bob, i, True), image, "image_not_found")
            same_failure(lambda i: gallery.collections_of(s, bob, i), image, "image_not_found")
            same_failure(lambda i: gallery.convert(s, bob, i, "png"), image, "image_not_found")
            same_failure(lambda i: gallery.zip_images(s, bob, [i]), image, "image_not_found")
            same_failure(lambda i: library.owned_image(s, bob, i), image, "image_not_found")  # the editor's picker
        assert gallery.set_public(s, bob, [private, public], True) == []
        assert gallery.set_public(s, bob, [public], False) == []
        assert gallery.add_images(s, bob, world["bob_album"], [private, public]) == 0
        assert gallery.delete_images(s, bob, [private, public]) == 0
        zipped = gallery.zip_images(s, bob, [private, world["bobs"]])  # only Bob's own image goes in
        assert zipped.count == 1
        zipped.close()
        same_failure(lambda i: gallery.like(s, i, bob), private, "image_not_found")  # private: not likeable
    with db() as s:
        rows = {i: s.get(GeneratedImage, i) for i in (private, public)}
        assert not rows[private].is_public and rows[public].is_public and rows[public].share_token == world["token"]
        assert not rows[private].favorite
        assert gallery.list_collections(s, bob)[0].count == 0
        assert [t.id for t in gallery.page(s, bob).items] == [world["bobs"]]
        assert [t.id for t in gallery.page(s, bob, q="alice").items] == []


def test_every_service_that_takes_a_collection_id_refuses_others(db, world):
    bob, album = world["bob"], world["album"]
    with db() as s:
        same_failure(lambda c: gallery.page(s, bob, collection_id=c), album, "collection_not_found")
        same_failure(lambda c: gallery.rename_collection(s, bob, c, "mine now"), album, "collection_not_found")
        same_failure(lambda c: gallery.delete_collection(s, bob, c), album, "collection_not_found")
        same_failure(lambda c: gallery.add_images(s, bob, c, [world["bobs"]]), album, "collection_not_found")
        same_failure(lambda c: gallery.remove_images(s, bob, c, [world["private"]]), album, "collection_not_found")
        same_failure(lambda c: gallery.neighbours(s, bob, world["bobs"], filters=gallery.Filters(collection_id=c)),
                     album, "collection_not_found")
    with db() as s:
        [mine] = gallery.list_collections(s, world["alice"])
        assert (mine.name, mine.count) == ("Alice's", 2)


def test_jobs_and_usage_history_stay_with_their_owner(db, world):
    bob, job = world["bob"], world["job"]
    with db() as s:
        same_failure(lambda j: jobs.owned(s, bob, j), job, "job_not_found")
        assert pipeline.cancel(s, user_id=bob, job_id=job) is False
        assert usage.history(s, bob).rows == []
        assert usage.export_csv(s, bob).count("\n") == 1  # the header only
        assert sum(d["credits"] for d in usage.credits_by_day(s, bob, 90)) == 0
        assert usage.credits_by_operation(s, bob, 90) == []
        assert s.get(Job, job).status == "succeeded"


def test_share_links_of_private_images_show_nothing(db, world):
    with db() as s:
        assert gallery.by_share_token(s, world["token"]) is not None
        assert [t.id for t in gallery.explore(s).items] == [world["public"]]  # never the private one
        gallery.set_public(s, world["alice"], [world["public"]], False)
    with db() as s:
        assert gallery.by_share_token(s, world["token"]) is None
        assert gallery.public_image(s, world["token"]) is None
        assert gallery.explore(s).items == []


def test_a_disabled_owners_public_images_disappear(db, world):
    with db() as s:
        s.get(User, world["alice"]).disabled = True
    with db() as s:
        assert gallery.by_share_token(s, world["token"]) is None and gallery.explore(s).items == []
        assert failure(lambda: gallery.like(s, world["public"], world["bob"])) == "image_not_found"


# ---- over HTTP --------------------------------------------------------------------------------------------------


@pytest.fixture
def client(db_url):
    app = FastAPI()
    for router in (library_routes.router, library_routes.share_router, media_routes.router):
        app.include_router(router)
    with TestClient(app) as c:
        yield c


def signed_in(client, db, user_id: int) -> TestClient:
    with db() as s:
        token = sessions.create(s, user_id)
    client.cookies.set("palett_session", token)
    return client


LIBRARY_ROUTES = ("/api/library/images/{id}/download", "/api/library/images/{id}/download?format=jpeg",
                  "/api/library/download.zip?ids={id}", "/api/library/images/{id}/view?size=display")


def test_signed_out_gets_401_everywhere(client, world):
    for route in (*LIBRARY_ROUTES, "/api/library/export", "/api/library/usage.csv"):
        response = client.get(route.format(id=world["private"]))
        assert response.status_code == 401, route
        assert response.json()["error"] == "signed_out"


def test_routes_answer_another_users_id_exactly_like_a_missing_one(client, db, world):
    signed_in(client, db, world["bob"])
    for route in LIBRARY_ROUTES:
        for image in (world["private"], world["public"]):
            theirs = client.get(route.format(id=image))
            missing = client.get(route.format(id=MISSING))
            assert theirs.status_code == missing.status_code == 404, route
            assert theirs.content == missing.content and theirs.headers.get("content-length") == missing.headers.get(
                "content-length")
    assert client.get(f"/api/library/download.zip?ids={world['private']},{world['public']}").status_code == 404
    assert client.get("/api/library/download.zip?ids=1;DROP").status_code == 404
    mine = client.get(f"/api/library/download.zip?ids={world['private']},{world['bobs']}")
    assert mine.status_code == 200 and len(zipfile.ZipFile(io.BytesIO(mine.content)).namelist()) == 1
    export = zipfile.ZipFile(io.BytesIO(client.get("/api/library/export").content))
    assert b"alice" not in b"".join(export.read(n) for n in export.namelist() if n.endswith(".json"))
    assert "alice" not in client.get("/api/library/usage.csv").text


def test_owner_downloads_work(client, db, world):
    signed_in(client, db, world["alice"])
    png = client.get(f"/api/library/images/{world['private']}/download")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert f"palett-{world['private']}.png" in png.headers["content-disposition"]
    webp = client.get(f"/api/library/images/{world['private']}/download?format=webp")
    assert webp.content[8:12] == b"WEBP"
    assert client.get(f"/api/library/images/{world['private']}/download?format=bmp").status_code == 400
    zipped = client.get(f"/api/library/download.zip?ids={world['private']},{world['public']}")
    assert len(zipfile.ZipFile(io.BytesIO(zipped.content)).namelist()) == 2
    assert client.get("/api/library/usage.csv").text.startswith("job_id,created_at")


def test_the_owner_views_an_image_by_id_through_a_short_lived_signed_url(client, db, world):
    signed_in(client, db, world["alice"])
    with db() as s:
        img = s.get(GeneratedImage, world["private"])
        thumb_key, original_key = img.thumbnail_url, img.image_url
    view = client.get(f"/api/library/images/{world['private']}/view?size=thumb", follow_redirects=False)
    assert view.status_code == 302 and view.headers["cache-control"] == "private, no-store"  # a shared browser
    assert view.headers["location"].startswith(f"/api/media/{thumb_key}?exp=")
    assert client.get(view.headers["location"]).content[8:12] == b"WEBP"
    original = client.get(f"/api/library/images/{world['private']}/view", follow_redirects=False)
    assert original.headers["location"].startswith(f"/api/media/{original_key}?exp=")
    assert client.get(original.headers["location"]).headers["content-type"] == "image/png"
    assert client.get("/api/library/images/0/view").status_code == 404
    assert client.get("/api/library/images/x/view").status_code == 422  # not an id: FastAPI's validation


def test_share_routes_serve_only_while_public(client, db, world):
    token = world["token"]
    page = client.get(f"/api/share/{token}")
    assert page.status_code == 200 and 'property="og:image"' in page.text and "alice&#x27;s public sky" in page.text
    image = client.get(f"/api/share/{token}/image")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert client.get(f"/api/share/{token}/image?size=thumb").content[8:12] == b"WEBP"
    with db() as s:
        gallery.set_public(s, world["alice"], [world["public"]], False)
    for url in (f"/api/share/{token}", f"/api/share/{token}/image", "/api/share/AAAAAAAAAAAAAAAAAAAAAA/image",
                "/api/share/..%2F..%2Fetc/image"):
        assert client.get(url).status_code == 404, url


def test_media_urls_only_open_what_they_were_signed_for(client, db, world):
    with db() as s:
        alice_url = gallery.detail(s, world["alice"], world["private"]).url
        bob_url = gallery.detail(s, world["bob"], world["bobs"]).url
        alice_key = s.get(GeneratedImage, world["private"]).image_url
    assert client.get(alice_url).status_code == 200
    # Bob's valid signature does not open Alice's key, and an unsigned or expired one opens nothing.
    _, query = bob_url.split("?", 1)
    assert client.get(f"/api/media/{quote(alice_key)}?{query}").status_code == 404
    assert client.get(f"/api/media/{quote(alice_key)}").status_code == 404
    assert client.get(alice_url.replace("exp=", "exp=1")).status_code == 404


def test_a_recipe_naming_someone_elses_mask_shows_no_mask(db, world):
    """A recipe is data, not a capability: only a mask key in the viewer's own folder becomes a link."""
    bob, alice = world["bob"], world["alice"]
    foreign = add_image(db, bob, "bob's inpaint", recipe={"params": {"mask_key": f"u/{alice}/mask.png"}})
    own = add_image(db, bob, "bob's other inpaint", recipe={"params": {"mask_key": f"u/{bob}/mask.png"}})
    with db() as s:
        assert gallery.detail(s, bob, foreign).mask_url == ""
        assert gallery.detail(s, bob, own).mask_url != ""
