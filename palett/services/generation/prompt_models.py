"""Prompt tools in the catalog: the models behind "Enhance prompt" and "Describe image", and what they cost.

Like the image models (t2i_models, edit_models), each entry names its provider endpoint and an adapter that
builds the endpoint's own request body; a reader takes the text out of the endpoint's published answer. The
schemas are kept in tests/contracts/ (docs/providers.md). They answer text, not images, so they do not go
through the job pipeline: services/generation/prompt_tools.py charges, runs and refunds them.

Fal's published types have no general text LLM (no `fal-ai/any-llm`), so Enhance runs on OpenAI's chat
completions; Describe runs on Florence-2 large on Fal. Each has a local entry that is plainly not AI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from palett.services.common.errors import UserError
from palett.settings import Settings

Operation = Literal["enhance", "describe"]
OPERATIONS: tuple[Operation, ...] = ("enhance", "describe")
LOCAL_LABEL = "Local prompt helper — not AI"
# The SDK's ChatModel list names it; none of its models are marked shut down there.
OPENAI_TEXT_MODEL = "gpt-5.4-mini"
MAX_ANSWER_TOKENS = 400  # a detailed prompt is ~60-150 words; this caps what one call can cost

ENHANCE_INSTRUCTIONS = (
    "You rewrite short prompts for an image generator into one detailed prompt. Keep the subject and every "
    "detail the user gave; add composition, lighting, lens or medium, colour palette and mood. Answer with the "
    "prompt only: one paragraph, at most 120 words, no quotes, no preamble."
)


@dataclass(frozen=True)
class ToolInput:
    """What a prompt tool works on: the prompt to enhance, or the URL (or storage key) of the image to describe."""

    prompt: str = ""
    image: str = ""


@dataclass(frozen=True)
class PromptModel:
    key: str
    label: str
    operation: Operation
    provider: str  # fal | openai | local
    endpoint: str
    adapter: Callable[[ToolInput], dict[str, Any]]
    reader: Callable[[dict[str, Any]], str]
    credits: int = 1
    rank: int = 0  # higher is preferred as the default

    @property
    def is_local(self) -> bool:
        return self.provider == "local"


def openai_enhance(inp: ToolInput) -> dict[str, Any]:
    return {
        "model": OPENAI_TEXT_MODEL,
        "messages": [{"role": "developer", "content": ENHANCE_INSTRUCTIONS}, {"role": "user", "content": inp.prompt}],
        "max_completion_tokens": MAX_ANSWER_TOKENS,
        "n": 1,
    }


def read_chat(answer: dict[str, Any]) -> str:
    choices = answer.get("choices") or [{}]
    return str((choices[0].get("message") or {}).get("content") or "")


def florence_caption(inp: ToolInput) -> dict[str, Any]:
    return {"image_url": inp.image}


def read_florence(answer: dict[str, Any]) -> str:
    return str(answer.get("results") or "")


def local_body(inp: ToolInput) -> dict[str, Any]:
    return {"prompt": inp.prompt, "image": inp.image}


def no_reader(answer: dict[str, Any]) -> str:
    return str(answer.get("text") or "")


_TOOLS: dict[str, PromptModel] = {}


def register(model: PromptModel) -> PromptModel:
    _TOOLS[model.key] = model
    return model


register(PromptModel(
    key="gpt-enhance", label="GPT-5.4 mini (OpenAI)", operation="enhance", provider="openai",
    endpoint="chat.completions.create", adapter=openai_enhance, reader=read_chat, credits=1, rank=50))
register(PromptModel(
    key="local-enhance", label=LOCAL_LABEL, operation="enhance", provider="local", endpoint="local/prompt-template",
    adapter=local_body, reader=no_reader, credits=0))
register(PromptModel(
    key="florence-describe", label="Florence-2 large (Fal)", operation="describe", provider="fal",
    endpoint="fal-ai/florence-2-large/more-detailed-caption", adapter=florence_caption, reader=read_florence,
    credits=1, rank=50))
register(PromptModel(
    key="local-describe", label=LOCAL_LABEL, operation="describe", provider="local",
    endpoint="local/image-summary", adapter=local_body, reader=no_reader, credits=0))


def all_tools() -> list[PromptModel]:
    return list(_TOOLS.values())


def tools(operation: str) -> list[PromptModel]:
    return sorted((t for t in _TOOLS.values() if t.operation == operation), key=lambda t: -t.rank)


def get(key: str) -> PromptModel:
    try:
        return _TOOLS[key]
    except KeyError:
        raise UserError("unknown_model") from None


def available(tool: PromptModel, settings: Settings) -> bool:
    if tool.provider == "fal":
        return bool(settings.fal_key)
    if tool.provider == "openai":
        return bool(settings.openai_api_key)
    return True


def best(operation: str, settings: Settings) -> PromptModel:
    """The preferred tool this server can run (the local one always can)."""
    return next(t for t in tools(operation) if available(t, settings))


def local(operation: str) -> PromptModel:
    return next(t for t in tools(operation) if t.is_local)
