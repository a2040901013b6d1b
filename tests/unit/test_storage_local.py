"""The local media folder: bytes round-trip, and signed URLs that expire and can't be forged."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from palett.services.media import storage as storage_module
from palett.services.media.storage import (
    InvalidKey,
    LocalStorage,
    MediaNotFound,
    content_disposition,
    get_storage,
    new_key,
    safe_download_name,
)


@pytest.fixture
def store(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "media", "test-secret")


def _parts(url: str) -> tuple[str, dict[str, str]]:
    split = urlsplit(url)
    assert split.path.startswith("/api/media/")
    key = split.path.removeprefix("/api/media/")
    return key, {k: v[0] for k, v in parse_qs(split.query).items()}


def test_put_get_exists_round_trip(store: LocalStorage) -> None:
    key = new_key(7, "png")
    assert key.startswith("u/7/") and key.endswith(".png")
    assert not store.exists(key)
    store.put(key, b"\x89PNG data", "image/png")
    assert store.exists(key)
    assert store.get(key) == b"\x89PNG data"
    assert store.path(key).read_bytes() == b"\x89PNG data"
    assert store.path(key).is_relative_to(store.root.resolve())


def test_put_replaces_and_leaves_no_temp_files(store: LocalStorage) -> None:
    key = new_key(1, "webp")
    store.put(key, b"one", "image/webp")
    store.put(key, b"two", "image/webp")
    assert store.get(key) == b"two"
    assert [p.name for p in store.path(key).parent.iterdir()] == [key.rsplit("/", 1)[1]]


def test_get_missing_raises_media_not_found(store: LocalStorage) -> None:
    with pytest.raises(MediaNotFound):
        store.get(new_key(1, "png"))


def test_signed_url_verifies_for_exactly_that_key(store: LocalStorage) -> None:
    key = new_key(3, "png")
    key_in_url, q = _parts(store.url(key, expires_in=600))
    assert key_in_url == key
    assert int(q["exp"]) - time.time() == pytest.approx(600, abs=5)
    assert "dl" not in q
    assert store.verify(key, q["exp"], q["sig"])
    other = new_key(3, "png")
    assert not store.verify(other, q["exp"], q["sig"])


def test_a_recent_url_is_handed_out_again_until_a_tenth_of_its_life_has_passed(
        store: LocalStorage, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page re-reading its cards keeps the same <img src> (no refetch), and the URL still lives ≥ 90 %."""
    signings = []
    sign = store._signed_url
    monkeypatch.setattr(store, "_signed_url", lambda *args: signings.append(args) or sign(*args))
    key = new_key(3, "png")
    first = store.url(key, expires_in=600)
    assert store.url(key, expires_in=600) == first and len(signings) == 1
    store.url(key, expires_in=600, download_name="a.png")
    store.url(key, expires_in=3600)
    assert len(signings) == 3  # another name or lifetime is another URL
    later = time.monotonic() + 61
    monkeypatch.setattr(storage_module.time, "monotonic", lambda: later)
    _, q = _parts(store.url(key, expires_in=600))
    assert len(signings) == 4 and store.verify(key, q["exp"], q["sig"])
    assert int(q["exp"]) - time.time() == pytest.approx(600, abs=5)


def test_download_name_is_signed_and_sanitised(store: LocalStorage) -> None:
    key = new_key(3, "png")
    _, q = _parts(store.url(key, download_name='../../my "sunset"\r\n.png'))
    assert q["dl"].endswith(".png") and not any(c in q["dl"] for c in '/\\"\r\n')
    assert store.verify(key, q["exp"], q["sig"], q["dl"])
    assert not store.verify(key, q["exp"], q["sig"], "evil.exe")
    assert not store.verify(key, q["exp"], q["sig"])  # the name can't be dropped either


def test_unicode_download_name_survives_the_url(store: LocalStorage) -> None:
    key = new_key(3, "png")
    url = store.url(key, download_name="Café 🌅.png")
    _, q = _parts(url)
    assert q["dl"] == "Café 🌅.png"
    assert store.verify(key, q["exp"], q["sig"], q["dl"])
    header = content_disposition(q["dl"])
    assert header.startswith('attachment; filename="Caf_ _.png"')
    assert unquote(header.split("UTF-8''", 1)[1]) == "Café 🌅.png"


def test_expired_url_is_rejected(store: LocalStorage) -> None:
    key = new_key(3, "png")
    _, q = _parts(store.url(key, expires_in=-1))
    assert not store.verify(key, q["exp"], q["sig"])


def test_tampered_signature_or_expiry_is_rejected(store: LocalStorage) -> None:
    key = new_key(3, "png")
    _, q = _parts(store.url(key))
    flipped = ("0" if q["sig"][0] != "0" else "1") + q["sig"][1:]
    assert not store.verify(key, q["exp"], flipped)
    assert not store.verify(key, str(int(q["exp"]) + 3600), q["sig"])
    assert not store.verify(key, q["exp"], q["sig"].upper())
    assert not store.verify(key, q["exp"], "")
    assert not store.verify(key, "soon", q["sig"])
    assert not store.verify(key, q["exp"], "é" * 64)  # non-ASCII must not crash compare_digest


def test_signature_depends_on_the_secret(tmp_path: Path) -> None:
    a = LocalStorage(tmp_path / "media", "secret-a")
    b = LocalStorage(tmp_path / "media", "secret-b")
    key = new_key(3, "png")
    _, q = _parts(a.url(key))
    assert a.verify(key, q["exp"], q["sig"])
    assert not b.verify(key, q["exp"], q["sig"])


@pytest.mark.parametrize(
    "key",
    [
        "../secret_key",
        "u/1/../../secret_key",
        "u/1/..",
        "/etc/passwd",
        "u\\1\\x.png",
        "..\\..\\x.png",
        "u/1/.hidden.png",
        "u//1/x.png",
        "u/1/x.png/",
        "u/1/x..png",
        "u/1/x png",
        "u/1/x.png?x=1",
        "u/1/x%2e.png",
        "u/1/x.png\x00",
        "u/1/ünï.png",
        "",
        "a/" * 200 + "x.png",
    ],
)
def test_bad_keys_are_rejected_everywhere(store: LocalStorage, key: str) -> None:
    for call in (
        lambda: store.put(key, b"x", "image/png"),
        lambda: store.get(key),
        lambda: store.delete(key),
        lambda: store.exists(key),
        lambda: store.path(key),
        lambda: store.url(key),
    ):
        with pytest.raises(InvalidKey):
            call()
    assert not store.verify(key, str(int(time.time()) + 60), "0" * 64)


def test_symlink_inside_root_cannot_lead_outside(store: LocalStorage, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (store.root / "u").mkdir(parents=True)
    (store.root / "u" / "1").symlink_to(outside)
    with pytest.raises(InvalidKey):
        store.put("u/1/x.png", b"x", "image/png")
    assert not any(outside.iterdir())


def test_delete_is_idempotent(store: LocalStorage) -> None:
    key = new_key(5, "png")
    store.put(key, b"x", "image/png")
    store.delete(key)
    store.delete(key)
    assert not store.exists(key)
    store.delete(new_key(99, "png"))  # never existed, parent folder missing


@pytest.mark.parametrize("user_id, ext", [(-1, "png"), (1, "p/ng"), (1, "../x"), (1, ""), (True, "png")])
def test_new_key_refuses_bad_parts(user_id: int, ext: str) -> None:
    with pytest.raises(ValueError):
        new_key(user_id, ext)


def test_new_key_accepts_a_dotted_extension_and_is_unique() -> None:
    keys = {new_key(2, ".PNG") for _ in range(100)}
    assert len(keys) == 100 and all(k.endswith(".png") for k in keys)


def test_safe_download_name_never_empty() -> None:
    assert safe_download_name("") == "image"
    assert safe_download_name("../..") == "image"
    assert len(safe_download_name("x" * 500)) <= 120


def test_embedded_default_is_local_storage_under_data_dir(tmp_path: Path) -> None:
    from palett.settings import get_settings

    storage = get_storage()
    assert isinstance(storage, LocalStorage)
    assert storage.root == get_settings().data_dir / "media"
    assert get_storage() is storage  # one backend per settings object
    get_settings.cache_clear()
    assert get_storage() is not storage  # new settings, new backend: tests stay isolated
