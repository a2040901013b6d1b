"""One call to a prompt tool's endpoint (Fal or OpenAI), answering the endpoint's JSON as a dict.

These are short synchronous calls (a caption, a rewritten prompt): Fal's run endpoint and OpenAI's chat
completions, each with a timeout. Failures become ProviderFailed with a message safe to show.
"""

from __future__ import annotations

import logging
from typing import Any

import fal_client
import openai
from fal_client.client import FalClientError, FalClientHTTPError

from palett.services.generation.prompt_models import PromptModel
from palett.services.generation.providers import ProviderFailed
from palett.settings import get_settings

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 60


async def call(tool: PromptModel, body: dict[str, Any]) -> dict[str, Any]:
    if tool.provider == "fal":
        return await _fal(tool.endpoint, body)
    if tool.provider == "openai":
        return await _openai_chat(body)
    raise ValueError(f"{tool.key} is not a provider tool")


async def _fal(endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
    client = fal_client.AsyncClient(key=get_settings().fal_key)
    try:
        return dict(await client.run(endpoint, body, timeout=TIMEOUT_SECONDS))
    except FalClientHTTPError as exc:
        log.warning("fal %s failed: %s %s", endpoint, exc.status_code, exc.message)
        raise ProviderFailed("Fal had a problem with this request.", detail=str(exc.message)) from exc
    except (FalClientError, OSError) as exc:  # timeouts, connection refused, DNS, TLS
        raise ProviderFailed("Fal isn't reachable right now.", detail=repr(exc)) from exc


async def _openai_chat(body: dict[str, Any]) -> dict[str, Any]:
    settings = get_settings()
    client = openai.AsyncOpenAI(api_key=settings.openai_api_key, base_url=settings.openai_base_url or None,
                                max_retries=1, timeout=TIMEOUT_SECONDS)
    try:
        answer = await client.chat.completions.create(**body)
    except openai.APIStatusError as exc:
        log.warning("openai chat failed: %s %s", exc.status_code, exc.message)
        raise ProviderFailed("OpenAI had a problem with this request.", detail=exc.message) from exc
    except openai.APIError as exc:
        raise ProviderFailed("OpenAI isn't reachable right now.", detail=repr(exc)) from exc
    return answer.model_dump()
