"""OpenAI's image model through the official SDK (base URL from settings for the test emulator).

The model id lives in the catalog entry (t2i_models.OPENAI_IMAGE_MODEL)."""

from __future__ import annotations

import base64
import logging

import openai

from palett.services.generation.providers import Output, ProviderFailed, Result, RunContext
from palett.settings import get_settings

log = logging.getLogger(__name__)


class OpenAIProvider:
    async def run(self, ctx: RunContext) -> Result:
        settings = get_settings()
        client = openai.AsyncOpenAI(api_key=settings.openai_api_key, base_url=settings.openai_base_url or None,
                                    max_retries=1, timeout=180)
        await ctx.report(logs=["Sent to OpenAI"])
        try:
            response = await client.images.generate(**ctx.arguments)
        except openai.APIStatusError as exc:
            log.warning("openai images failed: %s %s", exc.status_code, exc.message)
            if exc.code == "moderation_blocked":  # OpenAI's refusal; its message text is not a contract
                raise ProviderFailed("OpenAI's safety system refused this prompt. Try rewording it; you were not "
                                     "charged.", detail=exc.message) from exc
            raise ProviderFailed("OpenAI had a problem running this job.", detail=exc.message) from exc
        except openai.APIError as exc:
            raise ProviderFailed("OpenAI isn't reachable right now.", detail=repr(exc)) from exc
        outputs = [Output(data=base64.b64decode(item.b64_json)) if item.b64_json else Output(url=item.url)
                   for item in response.data or []]
        if not outputs:
            raise ProviderFailed("OpenAI returned no image.")
        return Result(outputs=outputs)

    async def cancel(self, endpoint: str, request_id: str) -> None:
        return None  # a synchronous API call: nothing to cancel upstream
