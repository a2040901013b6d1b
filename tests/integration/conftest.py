"""Fixtures shared by the integration tests of several modules."""

import pytest

from tests.conftest import reset_caches
from tests.fakes.openai_images import OpenAIImagesEmulator
from tests.fakes.server import serve_in_thread


@pytest.fixture(scope="module")
def openai_server():
    emulator = OpenAIImagesEmulator()
    base_url, stop = serve_in_thread(emulator.app)
    yield emulator, base_url
    stop()


@pytest.fixture
def openai_on(openai_server, monkeypatch):
    emulator, base_url = openai_server
    emulator.requests.clear()
    emulator.mode = "succeed"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", f"{base_url}/v1")
    reset_caches()
    return emulator
