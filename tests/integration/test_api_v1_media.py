"""Public API v1: uploads, images, inputs by upload id / URL / mask upload, body caps and the origin guard,
over HTTP (TestClient through mount_api) on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from PIL import Image
from sqlmodel import select

from palett.models import ApiKey, GeneratedImage, Job
from palett.services.accounts import api_keys
from palett.services.common.errors import UserError
from palett.services.generation import pipeline
from tests.conftest import reset_caches
from tests.fixtures import hostile
from tests.fixtures.hostile import CASES
from tests.integration.test_api_v1 import PROBLEM, assert_problem, auth, client, key_for  # noqa: F401
from tests.integration.test_pipeline_local import PROMPT, balance_matches_ledger, new_user

MB = 1024 * 1024
BOUNDARY = "palettBoundary"


def upload(client, secret: str, data: bytes, name: str = "photo.png", **headers: str):  # noqa: F811
    return client.post("/api/v1/uploads", files={"file": (name, data, "image/png")},
                       headers={**auth(secret), **headers})


def multipart(data: bytes) -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.jpg\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def path_of(url: str) -> str:
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.netloc == "testserver"  # absolute, on the address that was called
    return f"{parts.path}?{parts.query}"


def png(size: tuple[int, int], colour: int | tuple[int, int, int] = (200, 80, 40), mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, colour).save(buf, "PNG")
    return buf.getvalue()


def stored_images(db, user_id: int) -> list[GeneratedImage]:
    with db() as s:
        return list(s.exec(select(GeneratedImage).where(GeneratedImage.user_id == user_id)))


def test_an_upload_is_cleaned_stored_and_edited_by_its_id(client, db):  # noqa: F811
    user = new_user(db)
    secret = key_for(db, user.id)
    r = upload(client, secret, hostile.exif_rotated_jpeg(), "phone.jpg")
    assert r.status_code == 201, r.text
    made = r.json()
    assert set(made) == {"id", "url", "thumb_url", "width", "height"}
    assert r.headers["location"] == f"/api/v1/images/{made['id']}"
    served = client.get(path_of(made["url"]))
    assert served.status_code == 200 and served.headers["content-type"].startswith("image/")
    assert b"Exif" not in served.content  # cleaned like the editor's uploads
    edit = {"model": "local-lanczos", "image_id": made["id"], "mode": "2x"}
    job = client.post("/api/v1/generations", json=edit, headers=auth(secret))
    assert job.status_code == 202, job.text
    asyncio.run(pipeline.execute(job.json()["id"]))
    done = client.get(f"/api/v1/generations/{job.json()['id']}", headers=auth(secret)).json()
    assert done["status"] == "succeeded" and done["images"][0]["width"] == 2 * made["width"]
    assert client.get(path_of(done["images"][0]["url"])).status_code == 200


@pytest.mark.parametrize("name", ["image.svg", "bomb.png", "truncated.jpg", "animated.webp", "empty.png",
                                  "html-renamed.png"])
def test_hostile_uploads_get_the_web_uploads_refusals_as_problems(client, db, name):  # noqa: F811
    user = new_user(db)
    secret = key_for(db, user.id)
    body = assert_problem(upload(client, secret, CASES[name][0](), name), 422, "invalid-input")
    assert body["field"] == "file"
    assert body["detail"] == UserError(CASES[name][1]).message or body["detail"].startswith("That")
    assert stored_images(db, user.id) == []


def test_oversized_uploads_get_413_also_without_content_length(client, db, monkeypatch):  # noqa: F811
    monkeypatch.setenv("MAX_UPLOAD_BYTES", str(2 * MB))
    reset_caches()
    user = new_user(db)
    secret = key_for(db, user.id)
    big = hostile.oversized(3 * MB)
    headers = {**auth(secret), "content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    declared = client.post("/api/v1/uploads", content=multipart(big), headers=headers)
    assert "2 MB" in assert_problem(declared, 413, "payload-too-large")["detail"]
    body = multipart(big)
    chunked = client.post("/api/v1/uploads", content=iter([body[i:i + MB // 4] for i in range(0, len(body), MB // 4)]),
                          headers=headers)
    assert_problem(chunked, 413, "payload-too-large")
    assert stored_images(db, user.id) == []
    assert client.get("/api/v1/me", headers=auth(secret)).status_code == 200


def test_json_bodies_are_capped_while_reading(client, db):  # noqa: F811
    user = new_user(db)
    secret = key_for(db, user.id)
    big = b'{"model": "local-preview", "prompt": "' + b"x" * 80_000 + b'"}'
    chunked = client.post("/api/v1/generations", content=iter([big[i:i + 8192] for i in range(0, len(big), 8192)]),
                          headers={**auth(secret), "content-type": "application/json"})
    assert_problem(chunked, 413, "payload-too-large")
    with db() as s:
        assert s.exec(select(Job)).first() is None


def test_upload_idempotency_replays_and_409s(client, db):  # noqa: F811
    user = new_user(db)
    secret = key_for(db, user.id)
    first = upload(client, secret, hostile.valid_png(), **{"idempotency-key": "up-1"})
    again = upload(client, secret, hostile.valid_png(), **{"idempotency-key": "up-1"})
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again.headers["idempotent-replayed"] == "true"
    other = upload(client, secret, hostile.valid_jpeg(), "other.jpg", **{"idempotency-key": "up-1"})
    assert_problem(other, 409, "idempotency-key-reused")
    assert len(stored_images(db, user.id)) == 1
    # A refused upload lets its key go.
    assert_problem(upload(client, secret, CASES["image.svg"][0](), **{"idempotency-key": "up-2"}), 422,
                   "invalid-input")
    assert upload(client, secret, hostile.valid_jpeg(), **{"idempotency-key": "up-2"}).status_code == 201


def test_uploads_need_the_generate_scope_and_a_live_key(client, db):  # noqa: F811
    user = new_user(db)
    reader = key_for(db, user.id, scopes=["read"])
    assert_problem(upload(client, reader, hostile.valid_png()), 403, "forbidden-scope")
    maker = key_for(db, user.id, scopes=["generate"], name="maker")
    assert_problem(client.get("/api/v1/images", headers=auth(maker)), 403, "forbidden-scope")
    assert_problem(client.get("/api/v1/images/1", headers=auth(maker)), 403, "forbidden-scope")
    with db() as s:
        key_id = s.exec(select(ApiKey.id).where(ApiKey.name == "maker")).one()
        api_keys.revoke(s, user_id=user.id, key_id=key_id)
    assert_problem(upload(client, maker, hostile.valid_png()), 401, "unauthorized")
    assert_problem(client.post("/api/v1/uploads", files={"file": ("a.png", b"x")}), 401, "unauthorized")
    assert stored_images(db, user.id) == []


def test_images_come_in_keyset_pages_with_signed_urls_and_are_private(client, db):  # noqa: F811
    user = new_user(db)
    secret = key_for(db, user.id)
    made = [upload(client, secret, png((40 + i, 30))).json()["id"] for i in range(3)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/images", params=params, headers=auth(secret)).json()
        seen += [image["id"] for image in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(made, reverse=True)
    one = client.get(f"/api/v1/images/{made[0]}", headers=auth(secret)).json()
    assert (one["width"], one["operation"], one["generation_id"]) == (40, "upload", None)
    assert one["url_expires_in"] > 0 and "exp=" in one["url"] and "sig=" in one["url"]
    assert client.get(path_of(one["url"])).status_code == 200
    assert client.get(path_of(one["url"]).replace("sig=", "sig=0")).status_code == 404  # forged signature
    ops = client.get("/api/v1/images", params={"operation": "t2i"}, headers=auth(secret)).json()
    assert ops["data"] == []
    bad = assert_problem(client.get("/api/v1/images", params={"cursor": "junk"}, headers=auth(secret)), 422,
                         "invalid-input")
    assert bad["field"] == "cursor"
    other = key_for(db, new_user(db, email="eve@example.com").id)
    theirs = assert_problem(client.get(f"/api/v1/images/{made[0]}", headers=auth(other)), 404, "not-found")
    missing = assert_problem(client.get("/api/v1/images/987654", headers=auth(other)), 404, "not-found")
    assert theirs["detail"] == missing["detail"]
    assert client.get("/api/v1/images", headers=auth(other)).json()["data"] == []
    edit = {"model": "local-lanczos", "image_id": made[0], "mode": "2x"}
    assert_problem(client.post("/api/v1/generations", json=edit, headers=auth(other)), 404, "not-found")


@pytest.fixture
def image_server() -> Iterator[tuple[str, dict[str, bytes]]]:
    """A plain HTTP server on 127.0.0.1 serving the bytes put in its dict, by path."""
    files: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = files.get(self.path)
            self.send_response(200 if data is not None else 404)
            self.send_header("content-length", str(len(data or b"")))
            self.end_headers()
            self.wfile.write(data or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_port}", files
    server.shutdown()


def test_inputs_by_url_pass_the_ssrf_guard_and_the_upload_checks(client, db, image_server, monkeypatch):  # noqa: F811
    host, files = image_server
    files["/photo.png"], files["/page.png"] = png((48, 32)), CASES["html-renamed.png"][0]()
    user = new_user(db)
    secret = key_for(db, user.id)
    post = lambda body: client.post("/api/v1/generations", json=body, headers=auth(secret))  # noqa: E731
    edit = {"model": "local-lanczos", "mode": "2x"}
    # Loopback, private and metadata addresses are refused unless an operator allowed the host.
    for url in (f"http://{host}/photo.png", "https://127.0.0.1/x.png", "https://169.254.169.254/latest/meta-data",
                "https://10.0.0.1/a.png", "file:///etc/passwd", "ftp://example.com/a.png"):
        refused = assert_problem(post({**edit, "image_url": url}), 422, "invalid-input")
        assert refused["field"] == "image_url", url
    monkeypatch.setenv("SSRF_ALLOW_HOSTS", host)
    reset_caches()
    bad = assert_problem(post({**edit, "image_url": f"http://{host}/page.png"}), 422, "invalid-input")
    assert bad["field"] == "image_url" and UserError("upload_unsupported").message.split(" ")[0] in bad["detail"]
    assert_problem(post({**edit, "image_url": f"http://{host}/missing.png"}), 422, "invalid-input")
    both = assert_problem(post({**edit, "image_url": f"http://{host}/photo.png", "image_id": 1}), 422, "invalid-input")
    assert both["field"] == "image_url"
    r = post({**edit, "image_url": f"http://{host}/photo.png"})
    assert r.status_code == 202, r.text
    with db() as s:
        job = s.get(Job, r.json()["id"])
        source = s.get(GeneratedImage, job.params["image_id"])
        assert source.user_id == user.id and source.operation == "upload" and (source.width, source.height) == (48, 32)
    assert balance_matches_ledger(db, user.id) == 9
    assert len(stored_images(db, user.id)) == 1  # the refused URLs stored nothing


def test_inpainting_takes_an_uploaded_mask(client, db):  # noqa: F811
    user = new_user(db)
    secret = key_for(db, user.id)
    source = upload(client, secret, png((64, 48))).json()["id"]
    mask_img = Image.new("L", (64, 48), 0)
    mask_img.paste(255, (10, 10, 30, 30))
    buf = io.BytesIO()
    mask_img.save(buf, "PNG")
    mask = upload(client, secret, buf.getvalue(), "mask.png").json()["id"]
    wrong_size = upload(client, secret, png((20, 20), 255, "L"), "small.png").json()["id"]
    post = lambda body: client.post("/api/v1/generations", json=body, headers=auth(secret))  # noqa: E731
    paint = {"model": "local-inpaint", "image_id": source, "mask_id": mask}
    assert assert_problem(post({**paint, "mask_id": wrong_size}), 422, "invalid-input")["field"] == "mask_id"
    assert assert_problem(post({**paint, "mask_key": "u/1/x.png"}), 422, "invalid-input")["field"] == "mask_key"
    assert assert_problem(post({**PROMPT, "mask_id": mask}), 422, "invalid-input")["field"] == "mask_id"
    r = post(paint)
    assert r.status_code == 202, r.text
    asyncio.run(pipeline.execute(r.json()["id"]))
    done = client.get(f"/api/v1/generations/{r.json()['id']}", headers=auth(secret)).json()
    assert done["status"] == "succeeded", done
    other = key_for(db, new_user(db, email="eve@example.com").id)
    r = client.post("/api/v1/generations", json={**paint, "image_id": source}, headers=auth(other))
    assert r.status_code in (404, 422) and r.headers["content-type"].startswith(PROBLEM)


def test_a_foreign_origin_gets_a_problem_403(client, db):  # noqa: F811
    user = new_user(db)
    secret = key_for(db, user.id)
    r = client.get("/api/v1/me", headers={**auth(secret), "origin": "https://evil.example"})
    body = assert_problem(r, 403, "forbidden-origin")
    assert "ALLOWED_ORIGINS" in body["detail"]
    assert client.get("/api/v1/me", headers={**auth(secret), "origin": "http://testserver"}).status_code == 200


def test_the_schema_documents_the_new_endpoints(client):  # noqa: F811
    schema = client.get("/api/v1/openapi.json").json()
    assert {"/uploads", "/images", "/images/{image_id}"} <= set(schema["paths"])
    body = schema["paths"]["/uploads"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body["properties"]["file"]["format"] == "binary"
    assert {"201", "401", "403", "409", "413", "422"} <= set(schema["paths"]["/uploads"]["post"]["responses"])


def test_ids_beyond_the_id_columns_are_invalid_input_not_errors(client, db):  # noqa: F811
    user = new_user(db)
    secret = key_for(db, user.id)
    huge = 2**40
    r = client.post("/api/v1/generations", json={"model": "local-lanczos", "image_id": huge}, headers=auth(secret))
    assert assert_problem(r, 422, "invalid-input")["field"] == "image_id"
    assert_problem(client.get(f"/api/v1/images/{huge}", headers=auth(secret)), 422, "invalid-input")
    assert_problem(client.get("/api/v1/generations", params={"before": huge}, headers=auth(secret)), 422,
                   "invalid-input")


def test_models_offer_the_api_inputs_and_hide_storage_keys(client, db):  # noqa: F811
    secret = key_for(db, new_user(db).id)
    models = {m["key"]: m["input_schema"] for m in client.get("/api/v1/models", headers=auth(secret)).json()}
    assert {"image_id", "image_url"} <= set(models["local-lanczos"]["properties"])
    inpaint = models["local-inpaint"]
    assert "mask_id" in inpaint["required"] and "mask_key" not in inpaint["properties"]
    assert "mask_key" not in inpaint.get("required", [])
    assert "background_url" in models["local-replace"]["properties"]
    assert "image_url" not in models["local-preview"]["properties"]
