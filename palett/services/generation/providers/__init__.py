"""Providers run one job on one endpoint and hand back image bytes or URLs.

All three (Fal, OpenAI, local) share this small contract, so the pipeline never
knows which one it talks to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from PIL import Image


@dataclass
class Output:
    url: str | None = None  # a provider URL to copy from (never kept)
    data: bytes | None = None  # or the bytes themselves
    # The pixels of `data` when our own engine made both (in the heavy-work process): not decoded again.
    image: Image.Image | None = None
    nsfw: bool = False


@dataclass
class Result:
    outputs: list[Output]
    seed: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)


class ProviderFailed(Exception):
    """The provider could not make the images; `message` is safe to show the user."""

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(detail or message)
        self.message = message


Report = Callable[..., Awaitable[None]]


@dataclass
class RunContext:
    job_id: int
    endpoint: str
    arguments: dict[str, Any]
    report: Report  # report(queue_position=, logs=, progress=, request_id=)
    is_cancelled: Callable[[], Awaitable[bool]]
    request_id: str | None = None  # set when resuming a job the provider already has
    poll_interval: float = 0.5


class Provider(Protocol):
    async def run(self, ctx: RunContext) -> Result: ...

    async def cancel(self, endpoint: str, request_id: str) -> None: ...


def get_provider(name: str) -> Provider:
    if name == "fal":
        from palett.services.generation.providers.fal import FalProvider

        return FalProvider()
    if name == "openai":
        from palett.services.generation.providers.openai_images import OpenAIProvider

        return OpenAIProvider()
    from palett.services.generation.providers.local import LocalProvider

    return LocalProvider()
