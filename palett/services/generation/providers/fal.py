"""Fal through fal_client's async queue API: submit, poll status with logs, fetch the result, cancel.

Input images we cannot hand Fal as a URL of ours are uploaded to Fal's storage with fal_client.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Literal

import fal_client
import httpx
from fal_client.client import Completed, FalClientError, FalClientHTTPError, InProgress, Queued

from palett.services.generation.providers import Output, ProviderFailed, Result, RunContext
from palett.settings import get_settings

log = logging.getLogger(__name__)
INPUT_LIFETIME: Literal["1d"] = "1d"  # Fal's storage keeps uploaded inputs this long (fal_client ObjectExpiration)


class FalProvider:
    def _client(self) -> fal_client.AsyncClient:
        return fal_client.AsyncClient(key=get_settings().fal_key)

    async def run(self, ctx: RunContext) -> Result:
        client = self._client()
        try:
            if ctx.request_id:
                handle = await client.get_handle(ctx.endpoint, ctx.request_id)
            else:
                handle = await client.submit(ctx.endpoint, ctx.arguments, webhook_url=webhook_url())
                await ctx.report(request_id=handle.request_id)
            while True:
                if await ctx.is_cancelled():
                    await handle.cancel()
                    raise ProviderFailed("Cancelled")
                status = await handle.status(with_logs=True)
                if isinstance(status, Queued):
                    await ctx.report(queue_position=status.position)
                elif isinstance(status, InProgress):
                    await ctx.report(queue_position=None, logs=_lines(status.logs))
                elif isinstance(status, Completed):
                    await ctx.report(queue_position=None, logs=_lines(status.logs))
                    if status.error:
                        log.info("fal %s %s ended with %s", ctx.endpoint, handle.request_id, status.error)
                    break  # a failed request's result answers its HTTP status (422: bad input), worded below
                await asyncio.sleep(ctx.poll_interval)
            return parse_result(await client.result(ctx.endpoint, handle.request_id))
        except FalClientHTTPError as exc:
            log.warning("fal %s failed: %s %s", ctx.endpoint, exc.status_code, exc.message)
            raise ProviderFailed(_http_message(exc.status_code), detail=str(exc.message)) from exc
        except FalClientError as exc:
            raise ProviderFailed("Fal didn't answer in time.", detail=str(exc)) from exc
        except OSError as exc:  # connection refused, DNS, TLS
            raise ProviderFailed("Fal isn't reachable right now.", detail=repr(exc)) from exc

    async def result(self, endpoint: str, request_id: str) -> Result:
        """A finished request's result through the queue API (a webhook that could not carry it)."""
        try:
            return parse_result(await self._client().result(endpoint, request_id))
        except FalClientHTTPError as exc:
            raise ProviderFailed(_http_message(exc.status_code), detail=str(exc.message)) from exc
        except (FalClientError, OSError) as exc:
            raise ProviderFailed("Fal isn't reachable right now.", detail=repr(exc)) from exc

    async def cancel(self, endpoint: str, request_id: str) -> None:
        try:
            await self._client().cancel(endpoint, request_id)
        except (FalClientError, OSError) as exc:
            log.info("fal cancel of %s failed: %r", request_id, exc)


def parse_result(result: dict[str, Any]) -> Result:
    """Generators answer {images: [{url, ...}], seed?, has_nsfw_concepts?}; one-image tools (BiRefNet, ESRGAN,
    CodeFormer) answer {image: {url, ...}}. Which fields each endpoint has: tests/contracts/fal/."""
    single = result.get("image")
    images = result.get("images") or ([single] if isinstance(single, dict) else [])
    flags = result.get("has_nsfw_concepts") or []
    outputs = [Output(url=img["url"], nsfw=bool(flags[i]) if i < len(flags) else False)
               for i, img in enumerate(images) if img.get("url")]
    if not outputs:
        raise ProviderFailed("The model returned no image.", detail=str(result)[:500])
    return Result(outputs=outputs, seed=result.get("seed"))


def upload_input(data: bytes, content_type: str, file_name: str) -> str:
    """Put one input image in Fal's storage (blocking) and return its URL; it expires after a day."""
    client = fal_client.SyncClient(key=get_settings().fal_key)
    try:
        return client.upload(data, content_type, file_name,
                             lifecycle=fal_client.StorageSettings(expires_in=INPUT_LIFETIME))
    except (FalClientError, httpx.HTTPError, OSError) as exc:
        log.warning("fal upload of %s failed: %r", file_name, exc)
        raise ProviderFailed("Your image could not be sent to Fal. Try again.", detail=repr(exc)) from exc


def webhook_url() -> str | None:
    settings = get_settings()
    return f"{settings.public_url.rstrip('/')}/api/webhooks/fal" if settings.fal_webhooks else None


def _lines(logs: list[dict[str, Any]] | None) -> list[str]:
    return [str(entry.get("message", "")) for entry in (logs or []) if entry.get("message")]


def _http_message(status: int) -> str:
    if status in (401, 403):
        return "This model isn't available on this server right now."  # the log says the key was refused
    if status == 422:
        return "The model refused these settings."
    if status == 429:
        return "Fal is rate limiting us. Try again in a minute."
    return "Fal had a problem running this job."
