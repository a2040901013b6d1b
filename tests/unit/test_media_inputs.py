"""How input images reach a provider: a URL of ours when we have one, else Fal's storage; never a data URI."""

from __future__ import annotations

import pytest

from palett.services.generation.providers import ProviderFailed
from palett.services.media import inputs as media_inputs
from palett.services.media.storage import get_storage
from tests.conftest import reset_caches


@pytest.fixture
def stored_key() -> str:
    get_storage().put("u/1/in.png", b"\x89PNG fake", "image/png")
    return "u/1/in.png"


def test_a_public_https_address_gives_a_signed_url_of_ours(monkeypatch, stored_key):
    monkeypatch.setenv("PUBLIC_URL", "https://palett.example")
    reset_caches()
    url = media_inputs.media_for("fal").url(stored_key)
    assert url.startswith("https://palett.example/") and "data:" not in url


def test_without_one_fal_gets_an_upload_to_its_storage(monkeypatch, stored_key):
    from palett.services.generation.providers import fal

    sent = []

    def upload(data: bytes, kind: str, name: str) -> str:
        sent.append((data, kind, name))
        return "https://v3.fal.media/files/x"

    monkeypatch.setattr(fal, "upload_input", upload)
    assert media_inputs.media_for("fal").url(stored_key) == "https://v3.fal.media/files/x"
    assert sent == [(b"\x89PNG fake", "image/png", "in.png")]


def test_other_providers_are_told_plainly_instead_of_getting_a_data_uri(stored_key):
    with pytest.raises(ProviderFailed) as err:
        media_inputs.media_for("openai").url(stored_key)
    assert "public address" in err.value.message
    assert media_inputs.media_for("local").url(stored_key) == stored_key
