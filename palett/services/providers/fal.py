"""Fal through fal_client's async queue API: submit, poll status with logs, fetch the result, cancel."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import fal_client
from fal_client.client import Completed, FalClientError, FalClientHTTPError, InProgress, Queued

from palett.services.providers import Output, ProviderFailed, Result, RunContext
from palett.settings import get_settings

log = logging.getLogger(__name__)


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
                        raise ProviderFailed("The model reported an error.", detail=status.error)
                    break
                await asyncio.sleep(ctx.poll_interval)
            return parse_result(await client.result(ctx.endpoint, handle.request_id))
        except FalClientHTTPError as exc:
            log.warning("fal %s failed: %s %s", ctx.endpoint, exc.status_code, exc.message)
            raise ProviderFailed(_http_message(exc.status_code), detail=str(exc.message)) from exc
        except FalClientError as exc:
            raise ProviderFailed("Fal didn't answer in time.", detail=str(exc)) from exc
        except OSError as exc:  # connection refused, DNS, TLS
            raise ProviderFailed("Fal isn't reachable right now.", detail=repr(exc)) from exc

    async def cancel(self, endpoint: str, request_id: str) -> None:
        try:
            await self._client().cancel(endpoint, request_id)
        except (FalClientError, OSError) as exc:
            log.info("fal cancel of %s failed: %r", request_id, exc)


def parse_result(result: dict[str, Any]) -> Result:
    """Fal's image endpoints answer {images: [{url, ...}], seed, has_nsfw_concepts}."""
    images = result.get("images") or []
    flags = result.get("has_nsfw_concepts") or []
    outputs = [Output(url=img["url"], nsfw=bool(flags[i]) if i < len(flags) else False)
               for i, img in enumerate(images) if img.get("url")]
    if not outputs:
        raise ProviderFailed("The model returned no image.", detail=str(result)[:500])
    return Result(outputs=outputs, seed=result.get("seed"))


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
