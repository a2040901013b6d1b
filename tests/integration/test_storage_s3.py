"""S3 storage against a real S3 wire protocol: moto's server, in process, on 127.0.0.1."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import unquote

import httpx
import pytest
from moto.server import ThreadedMotoServer
from sqlmodel import select

from palett.services.media.storage import InvalidKey, MediaNotFound, S3Storage, get_storage, new_key, s3_client
from tests.conftest import reset_caches


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)  # port 0: any free port
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> S3Storage:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    bucket = f"palett-{uuid.uuid4().hex[:12]}"
    client = s3_client("us-east-1", moto_endpoint)
    client.create_bucket(Bucket=bucket)
    return S3Storage(bucket, client)


def test_put_get_exists_delete(s3: S3Storage) -> None:
    key = new_key(7, "png")
    assert not s3.exists(key)
    s3.put(key, b"\x89PNG bytes", "image/png")
    assert s3.exists(key)
    assert s3.get(key) == b"\x89PNG bytes"
    head = s3.client.head_object(Bucket=s3.bucket, Key=key)
    assert head["ContentType"] == "image/png"
    s3.delete(key)
    s3.delete(key)  # idempotent
    assert not s3.exists(key)
    with pytest.raises(MediaNotFound):
        s3.get(key)


def test_bad_keys_never_reach_the_bucket(s3: S3Storage) -> None:
    for key in ("../x.png", "/etc/passwd", "u\\1\\x.png"):
        with pytest.raises(InvalidKey):
            s3.put(key, b"x", "image/png")
        with pytest.raises(InvalidKey):
            s3.url(key)


def test_presigned_url_downloads_with_httpx(s3: S3Storage, moto_endpoint: str) -> None:
    key = new_key(7, "webp")
    s3.put(key, b"RIFF....WEBPVP8 ", "image/webp")
    url = s3.url(key, expires_in=300)
    assert url.startswith(f"{moto_endpoint}/{s3.bucket}/{key}?")
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=300" in url
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200
    assert response.content == b"RIFF....WEBPVP8 "
    assert response.headers["content-type"] == "image/webp"


def test_presigned_url_with_download_name_sets_content_disposition(s3: S3Storage) -> None:
    key = new_key(7, "png")
    s3.put(key, b"png", "image/png")
    response = httpx.get(s3.url(key, download_name="Café sunset.png"), timeout=10)
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="Caf_ sunset.png"')
    assert unquote(disposition.split("UTF-8''", 1)[1]) == "Café sunset.png"


def test_get_storage_picks_s3_when_a_bucket_is_set(
    s3: S3Storage, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("S3_BUCKET", s3.bucket)
    monkeypatch.setenv("S3_ENDPOINT_URL", moto_endpoint)
    reset_caches()
    storage = get_storage()
    assert isinstance(storage, S3Storage) and storage.bucket == s3.bucket
    key = new_key(1, "png")
    storage.put(key, b"via settings", "image/png")
    assert s3.get(key) == b"via settings"


def test_pipeline_stores_results_in_s3_and_serves_presigned_urls(
    db, s3: S3Storage, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from palett.models import User
    from palett.services.accounts import users as accounts
    from palett.services.generation import jobs, pipeline
    from palett.services.generation.submit import write_job

    monkeypatch.setenv("S3_BUCKET", s3.bucket)
    monkeypatch.setenv("S3_ENDPOINT_URL", moto_endpoint)
    reset_caches()
    with db() as session:
        user = accounts.create_user(session, email="s3@example.com", verified=True)
        job = write_job(session, user=session.get(User, user.id),
                              params={"model": "local-preview", "prompt": "ocean", "size": "square"})
    asyncio.run(pipeline.execute(job.id))
    with db() as session:
        (view,) = jobs.recent(session, user.id)
    assert view.status == "succeeded"
    (image,) = view.images
    assert image.url.startswith(moto_endpoint) and "Signature=" in image.url
    assert httpx.get(image.url).content[:8] == b"\x89PNG\r\n\x1a\n"
    assert httpx.get(image.thumb).content[8:12] == b"WEBP"
    assert httpx.get(image.display).content[8:12] == b"WEBP"


def test_deleting_an_image_or_an_account_removes_its_rendition_from_s3(
    db, s3: S3Storage, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from palett.models import GeneratedImage, User
    from palett.services.accounts import users as accounts
    from palett.services.generation import pipeline
    from palett.services.generation.submit import write_job
    from palett.services.library import gallery
    from palett.services.media import renditions

    monkeypatch.setenv("S3_BUCKET", s3.bucket)
    monkeypatch.setenv("S3_ENDPOINT_URL", moto_endpoint)
    reset_caches()
    made = []
    for email in ("one@example.com", "two@example.com"):
        with db() as session:
            user = accounts.create_user(session, email=email, verified=True)
            job = write_job(session, user=session.get(User, user.id),
                            params={"model": "local-preview", "prompt": "ocean", "size": "square"})
        asyncio.run(pipeline.execute(job.id))
        with db() as session:
            row = session.exec(select(GeneratedImage).where(GeneratedImage.user_id == user.id)).one()
            made.append((user.id, row.id, renditions.stored_keys(row)))
    assert all(len(keys) == 3 and all(s3.exists(k) for k in keys) for _, _, keys in made)
    (one, image, keys), (two, _, other_keys) = made
    with db() as session:
        gallery.delete_images(session, one, [image])
    assert not any(s3.exists(k) for k in keys)
    with db() as session:
        accounts.delete_account(session, session.get(User, two), confirmation="DELETE")
    assert not any(s3.exists(k) for k in other_keys)
