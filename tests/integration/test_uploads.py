"""Uploads: hostile and odd files against services.uploads, and POST /api/uploads over HTTP (SQLite + PostgreSQL)."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image, ImageFile
from starlette.testclient import TestClient

from palett.api import mount_api
from palett.models import GeneratedImage
from palett.services.accounts import mailer
from palett.services.common.errors import UserError
from palett.services.media import uploads
from palett.services.media.storage import get_storage
from tests.fixtures import hostile
from tests.fixtures.hostile import CASES, GPS_LAT, HTML_PAYLOAD

PW = "violet-otter-lamp-42"
ORIGIN = {"origin": "http://testserver"}
MB = 1024 * 1024
ACCEPTED = [name for name, (_, expected) in CASES.items() if expected == "ok"]


async def not_found(scope, receive, send):
    await send({"type": "http.response.start", "status": 404, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def refused(data: bytes) -> UserError:
    with pytest.raises(UserError) as info:
        uploads.clean(data)
    return info.value


def pixels(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def assert_no_metadata(cleaned: uploads.Cleaned) -> None:
    """Nothing but pixels: no EXIF/GPS, XMP, ICC, comments or text chunks, and no appended bytes."""
    data = cleaned.data
    if cleaned.ext == "png":
        kinds = [kind for kind, _ in hostile.png_chunks(data)]
        assert set(kinds) <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}, kinds
        assert data.endswith(hostile.png_chunk(b"IEND", b""))  # nothing after IEND
    else:
        markers = {marker for marker, _ in hostile.jpeg_markers(data)}
        # APP0 (JFIF), quantisation/huffman tables, frame and scan headers only: no APP1-15 or COM.
        assert not markers & ({0xFE} | set(range(0xE1, 0xF0))), sorted(hex(m) for m in markers)
        assert data.endswith(b"\xff\xd9")
    webps = [cleaned.thumb] + ([cleaned.display] if cleaned.display else [])
    for webp in webps:
        assert set(hostile.riff_chunks(webp)) <= {b"VP8 ", b"VP8L", b"VP8X", b"ALPH"}
    for blob in (data, *webps):
        img = pixels(blob)
        assert not img.getexif() and not img.info.get("icc_profile") and not img.info.get("exif")
        assert b"GPS" not in blob and b"<script" not in blob and b"xmpmeta" not in blob


# ---- the corpus against the service ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CASES))
def test_each_corpus_file_gets_the_right_outcome(name):
    build, expected = CASES[name]
    data = build()
    if expected == "ok":
        cleaned = uploads.clean(data)
        assert cleaned.ext == "png" and cleaned.content_type == "image/png"  # all small: stored lossless
        assert_no_metadata(cleaned)
        assert pixels(cleaned.data).mode in ("L", "RGB", "RGBA")
        assert max(pixels(cleaned.thumb).size) <= 384
        assert HTML_PAYLOAD not in cleaned.data
    else:
        err = refused(data)
        assert err.code == expected
        assert err.message


def test_the_messages_say_what_to_do():
    assert refused(b"").message == "That file is empty."
    assert refused(hostile.oversized(20 * MB)).message == "That file is over 20 MB."
    assert refused(hostile.bomb_png()).message == (
        "That image is too large: 30,000 × 30,000 pixels; the limit is 40 megapixels.")
    assert refused(hostile.svg()).message.startswith("That isn't a JPEG, PNG")
    assert refused(hostile.truncated_jpeg()).message == "That image is damaged or incomplete."
    assert refused(hostile.animated_gif()).message == "Animated images aren't supported; upload a still frame."


def test_type_comes_from_the_bytes_not_the_name():
    assert uploads.sniff(hostile.valid_png()) == "PNG"
    assert uploads.sniff(hostile.valid_jpeg()) == "JPEG"
    assert uploads.sniff(hostile.valid_webp()) == "WEBP"
    assert uploads.sniff(hostile.html_named_png()) is None
    assert uploads.sniff(hostile.svg()) is None
    assert uploads.sniff(hostile.gif_js_polyglot()) == "GIF"
    if hostile.AVIF:
        assert uploads.sniff(hostile.valid_avif()) == "AVIF"


@pytest.mark.parametrize("name", ["bomb.png", "huge-header.jpg", "huge-canvas.webp"])
def test_pixel_bombs_are_refused_from_the_header_without_decoding(name, monkeypatch):
    data = CASES[name][0]()
    uploads.clean(hostile.valid_png())  # warm up Pillow's plugin registry

    def no_decoding(self, *args, **kwargs):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    started = time.perf_counter()
    assert refused(data).code == "upload_too_many_pixels"
    assert time.perf_counter() - started < 0.1  # ~0.1 ms measured; "well under a second" with room for a busy CI


def test_the_size_cap_comes_first():
    data = hostile.oversized(20 * MB)
    assert len(data) == 20 * MB + 1
    assert refused(data).code == "upload_too_big"
    assert uploads.clean(hostile.valid_png(), max_bytes=len(hostile.valid_png()))


def test_a_file_is_read_in_the_decode_pool_with_the_same_checks():
    cleaned = uploads.clean(io.BytesIO(hostile.exif_rotated_jpeg()))
    assert (cleaned.width, cleaned.height) == (20, 40)
    assert refused(io.BytesIO(b"")).code == "upload_empty"
    assert refused(io.BytesIO(hostile.oversized(20 * MB))).code == "upload_too_big"
    assert refused(io.BytesIO(hostile.svg())).code == "upload_unsupported"


def test_read_capped_stops_reading_as_soon_as_the_limit_is_passed():
    consumed = []

    def chunks() -> Iterator[bytes]:
        for i in range(100):
            consumed.append(i)
            yield b"x" * 1000

    assert len(uploads.read_capped(iter([b"ab", b"", b"cd"]), 4)) == 4
    with pytest.raises(UserError) as info:
        uploads.read_capped(chunks(), 10_500)
    assert info.value.code == "upload_too_big"
    assert len(consumed) == 11  # the 11th chunk crossed 10,500 bytes; nothing after it was asked for


# ---- what the accepted files look like -------------------------------------------------------------------------


def clean_pixels(name: str) -> Image.Image:
    return pixels(uploads.clean(CASES[name][0]()).data)


def mean(img: Image.Image, box: tuple[int, int, int, int] | None = None) -> np.ndarray:
    arr = np.asarray(img.crop(box) if box else img, dtype=np.float64)
    return arr.reshape(-1, arr.shape[-1]).mean(axis=0) if arr.ndim == 3 else np.array([arr.mean()])


def test_exif_orientation_is_applied_and_gps_is_gone():
    original = pixels(hostile.exif_rotated_jpeg())
    assert original.size == (40, 20) and original.getexif()[0x0112] == 6
    assert original.getexif().get_ifd(0x8825)[2] == GPS_LAT
    img = clean_pixels("exif-rotated-gps.jpg")
    assert img.size == (20, 40)  # width and height swapped
    # Stored: red left, blue right. Turned 90° clockwise: red on top, blue below.
    assert np.allclose(mean(img, (0, 0, 20, 18)), (255, 0, 0), atol=12)
    assert np.allclose(mean(img, (0, 22, 20, 40)), (0, 0, 255), atol=12)


def test_cmyk_becomes_rgb_with_the_right_colours():
    img = clean_pixels("cmyk.jpg")
    assert img.mode == "RGB"
    assert np.allclose(mean(img), (255, 0, 0), atol=6)  # C0 M100 Y100 K0 is red


def test_16_bit_is_scaled_not_clipped():
    grey = clean_pixels("grey16.png")
    assert grey.mode == "L"
    row = np.asarray(grey)[0]
    assert row[0] == 0 and row[-1] == 255 and abs(int(row[128]) - 128) <= 1
    assert abs(float(row.mean()) - 127.5) < 1  # clipping at 255 would give ~254
    rgb = clean_pixels("rgb16.png")
    assert rgb.mode == "RGB" and np.allclose(mean(rgb), (255, 128, 0), atol=1)


def test_icc_profile_is_converted_to_srgb_then_dropped():
    img = clean_pixels("icc-text.png")
    assert "icc_profile" not in img.info
    # Linear-light 128 is sRGB 188: the profile was applied before it was dropped.
    assert np.allclose(mean(img), (188, 188, 188), atol=2)
    unchanged = clean_pixels("srgb-icc.jpg")  # an sRGB profile leaves the pixels as they are
    assert np.allclose(mean(unchanged), mean(pixels(hostile.srgb_icc_jpeg())), atol=1)


def test_transparency_survives_and_opaque_alpha_is_dropped():
    palette = clean_pixels("palette-transparent.png")
    assert palette.mode == "RGBA"
    assert palette.getpixel((2, 2))[3] == 0 and palette.getpixel((30, 2)) == (0, 200, 0, 255)
    grey = clean_pixels("grey-alpha.png")
    assert grey.mode == "RGBA" and grey.getpixel((1, 1))[3] == 0 and grey.getpixel((12, 1)) == (90, 90, 90, 255)
    assert clean_pixels("alpha.webp").mode == "RGBA"
    assert clean_pixels("opaque-rgba.png").mode == "RGB"


def test_large_photos_are_stored_as_high_quality_jpeg():
    source = hostile.encode(hostile.photo(2400, 1800), "JPEG", quality=95, exif=_gps_exif(), comment=b"secret")
    cleaned = uploads.clean(source)
    assert (cleaned.ext, cleaned.content_type, cleaned.width, cleaned.height) == ("jpg", "image/jpeg", 2400, 1800)
    assert_no_metadata(cleaned)
    diff = np.abs(np.asarray(pixels(cleaned.data), np.int16) - np.asarray(pixels(source), np.int16))
    assert diff.mean() < 2.5
    assert max(pixels(cleaned.thumb).size) == 384
    # Same size as a PNG source: lossless.
    assert uploads.clean(hostile.encode(hostile.photo(2400, 1800), "PNG")).ext == "png"


def _gps_exif() -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: GPS_LAT}
    return exif.tobytes()


def test_file_names_are_cleaned():
    assert uploads.sanitize_filename("C:\\Users\\ada\\Pictures\\cat.png") == "cat.png"
    assert uploads.sanitize_filename("../../etc/passwd") == "passwd"
    assert uploads.sanitize_filename("evil\u202egnp.exe\x00\n  name.png") == "evil gnp.exe name.png"
    assert len(uploads.sanitize_filename("a" * 500 + ".png")) == 200
    assert uploads.sanitize_filename("") == ""


# ---- storing: accept_upload -------------------------------------------------------------------------------------


def test_accept_upload_stores_clean_files_and_a_row(db):
    from palett.services.accounts import users as accounts

    with db() as s:
        user = accounts.create_user(s, email="ada@example.com", verified=True)
        image = uploads.accept_upload(s, user_id=user.id, data=hostile.exif_rotated_jpeg(),
                                      filename="/home/ada/\u202eDCIM/IMG_0001.JPG\x07")
        image_id, user_id = image.id, user.id
    assert image_id
    with db() as s:
        row = s.get(GeneratedImage, image_id)
    assert row.user_id == user_id and row.operation == "upload" and row.model == ""
    assert row.prompt == "IMG_0001.JPG" and (row.width, row.height) == (20, 40)
    assert row.recipe == {"source": "upload", "original_name": "IMG_0001.JPG", "original_format": "JPEG"}
    assert re.fullmatch(rf"u/{user_id}/[0-9a-f]{{32}}\.png", row.image_url)
    assert row.thumbnail_url == row.image_url.removesuffix(".png") + "-thumb.webp"
    storage = get_storage()
    stored, thumb = storage.get(row.image_url), storage.get(row.thumbnail_url)
    assert_no_metadata(uploads.Cleaned(stored, "image/png", "png", thumb, None, 20, 40, "JPEG"))
    assert pixels(stored).size == (20, 40)


def test_refused_uploads_store_nothing(db):
    from palett.services.accounts import users as accounts

    with db() as s:
        user = accounts.create_user(s, email="ada@example.com", verified=True)
        for build in (hostile.bomb_png, hostile.truncated_jpeg, hostile.svg):
            with pytest.raises(UserError):
                uploads.accept_upload(s, user_id=user.id, data=build(), filename="x.png")
    with db() as s:
        assert s.query(GeneratedImage).count() == 0
    media = get_storage().root / "u"  # the local backend
    assert not media.exists() or not any(media.rglob("*.*"))


# ---- over HTTP --------------------------------------------------------------------------------------------------


def app_with_uploads():
    """mount_api's app (the upload routes are part of it)."""
    return mount_api(not_found)


@pytest.fixture
def client(db_url, monkeypatch):
    from tests.conftest import reset_caches

    monkeypatch.setenv("PUBLIC_URL", "http://testserver")
    reset_caches()
    with TestClient(app_with_uploads(), follow_redirects=False) as c:
        yield c


def sign_in(client: TestClient, email: str) -> TestClient:
    """Sign up, verify from the outbox and log in, like a person would."""
    client.post("/api/auth/signup", data={"email": email, "password": PW, "name": "Ada"}, headers=ORIGIN)
    mail = next(m for m in mailer.outbox() if m.to == email)
    token = re.search(r"/verify\?token=(\S+)", mail.text).group(1)
    client.post("/api/auth/verify", data={"token": token}, headers=ORIGIN)
    response = client.post("/api/auth/login", data={"email": email, "password": PW}, headers=ORIGIN)
    assert response.status_code == 303 and "palett_session" in client.cookies
    return client


def post_file(client: TestClient, data: bytes, name: str = "photo.png", content_type: str = "image/png"):
    return client.post("/api/uploads", files={"file": (name, data, content_type)}, headers=ORIGIN)


def multipart(data: bytes, boundary: str = "palettBoundary", name: str = "photo.jpg") -> bytes:
    return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()


def test_upload_answers_with_signed_urls(client):
    sign_in(client, "ada@example.com")
    response = post_file(client, hostile.exif_rotated_jpeg(), "IMG_0001.jpg", "image/jpeg")
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "url", "thumb", "width", "height"}
    assert (body["width"], body["height"]) == (20, 40)
    image = client.get(body["url"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert pixels(image.content).size == (20, 40) and b"GPS" not in image.content
    thumb = client.get(body["thumb"])
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/webp"
    assert client.get(body["url"].split("?")[0]).status_code == 404  # unsigned
    assert client.get(re.sub(r"sig=[0-9a-f]+", "sig=" + "0" * 64, body["url"])).status_code == 404  # forged


@pytest.mark.parametrize(("name", "code"), [("image.svg", "upload_unsupported"), ("bomb.png", "upload_too_many_pixels"),
                                            ("truncated.jpg", "upload_damaged"), ("animated.webp", "upload_animated"),
                                            ("empty.png", "upload_empty")])
def test_refusals_come_back_as_json(client, name, code):
    sign_in(client, "ada@example.com")
    response = post_file(client, CASES[name][0](), name)
    assert response.status_code == 400
    assert response.json()["error"] == code and response.json()["message"]


def test_oversized_bodies_get_413_and_the_server_keeps_answering(client):
    sign_in(client, "ada@example.com")
    big = hostile.oversized(20 * MB)
    # A declared Content-Length over the cap: refused before the body is read.
    response = client.post("/api/uploads", content=multipart(big),
                           headers={**ORIGIN, "content-type": "multipart/form-data; boundary=palettBoundary"})
    assert response.status_code == 413
    assert response.json() == {"error": "upload_too_big", "message": "That file is over 20 MB."}
    assert client.get("/api/health").json() == {"status": "ok"}
    # The file part alone is over the cap while the whole body is under the form allowance.
    response = post_file(client, big, "big.jpg", "image/jpeg")
    assert response.status_code == 413 and response.json()["error"] == "upload_too_big"
    # No Content-Length (chunked): refused by the running count.
    body = multipart(big)
    response = client.post("/api/uploads", content=iter([body[i:i + MB] for i in range(0, len(body), MB)]),
                           headers={**ORIGIN, "content-type": "multipart/form-data; boundary=palettBoundary"})
    assert response.status_code == 413
    assert client.get("/api/health").json() == {"status": "ok"}


async def test_the_body_is_streamed_and_reading_stops_at_the_cap(client):
    """Drive the ASGI app directly: the route must stop pulling chunks once the cap is passed."""
    sign_in(client, "ada@example.com")
    cookie = f"palett_session={client.cookies['palett_session']}"
    chunk, pulled = b"\0" * MB, []
    body = multipart(b"\xff\xd8\xff" + b"\0" * (60 * MB))

    async def receive():
        index = len(pulled)
        pulled.append(index)
        part = body[index * MB:(index + 1) * MB]
        return {"type": "http.request", "body": part or chunk[:0], "more_body": bool(part)}

    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/api/uploads", "raw_path": b"/api/uploads", "query_string": b"", "root_path": "",
             "server": ("testserver", 80), "client": ("127.0.0.1", 1234),
             "headers": [(b"host", b"testserver"), (b"origin", b"http://testserver"), (b"cookie", cookie.encode()),
                         (b"content-type", b"multipart/form-data; boundary=palettBoundary")]}
    await client.app(scope, receive, send)
    assert sent[0]["status"] == 413
    assert len(pulled) <= 22  # 20 MB + the form allowance, in 1 MB chunks; the other 40 MB were never read


def test_upload_needs_a_session_and_a_same_site_origin(client):
    response = post_file(client, hostile.valid_png())
    assert response.status_code == 401
    assert response.json() == {"error": "signed_out", "message": "Please sign in to continue."}
    sign_in(client, "ada@example.com")
    response = client.post("/api/uploads", files={"file": ("a.png", hostile.valid_png(), "image/png")},
                           headers={"origin": "https://evil.example"})
    assert response.status_code == 403 and response.json()["error"] == "forbidden"
    response = client.post("/api/uploads", files={"file": ("a.png", hostile.valid_png(), "image/png")},
                           headers={"sec-fetch-site": "cross-site"})
    assert response.status_code == 403


def test_a_missing_file_field_or_a_non_multipart_body_is_a_400(client):
    sign_in(client, "ada@example.com")
    response = client.post("/api/uploads", files={"picture": ("a.png", hostile.valid_png(), "image/png")},
                           headers=ORIGIN)
    assert response.status_code == 400 and response.json()["error"] == "upload_missing"
    response = client.post("/api/uploads", content=hostile.valid_png(), headers={**ORIGIN, "content-type": "image/png"})
    assert response.status_code == 400 and response.json()["error"] == "upload_missing"
    response = client.post("/api/uploads", content=b"--x\r\nbroken", headers={
        **ORIGIN, "content-type": "multipart/form-data; boundary=x"})
    assert response.status_code == 400 and response.json()["error"] == "upload_missing"


def test_an_upload_belongs_to_its_uploader_only(client):
    ada = sign_in(client, "ada@example.com")
    first = post_file(ada, hostile.valid_png(), "ada.png").json()
    bob = sign_in(TestClient(client.app, follow_redirects=False), "bob@example.com")
    second = post_file(bob, hostile.valid_jpeg(), "bob.jpg").json()
    from palett.services.common.db import session_scope

    with session_scope() as s:
        ada_image, bob_image = s.get(GeneratedImage, first["id"]), s.get(GeneratedImage, second["id"])
    assert ada_image.user_id != bob_image.user_id
    assert ada_image.image_url.startswith(f"u/{ada_image.user_id}/")
    assert bob_image.image_url.startswith(f"u/{bob_image.user_id}/")
    # Fresh signed URLs are handed out to the owner only.
    assert ada.get(f"/api/uploads/{first['id']}").status_code == 200
    assert bob.get(f"/api/uploads/{first['id']}").status_code == 404
    assert bob.get(f"/api/uploads/{first['id']}").json()["error"] == "image_not_found"
    assert TestClient(client.app).get(f"/api/uploads/{first['id']}").status_code == 401
    # Bob's URL for his own image never names Ada's file.
    assert ada_image.image_url not in bob.get(f"/api/uploads/{second['id']}").json()["url"]
