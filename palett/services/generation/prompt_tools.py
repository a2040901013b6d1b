"""Enhance prompt and Describe image: charge what the catalog says, call the model, refund on any failure.

    reserve (one ledger row, committed) → call the provider → settle: capture (0) on success, refund otherwise

The credits go through the one ledger with idempotency keys (`prompt:<token>:reserve` / `:settle`), so a
retry of the settle step never refunds twice. Premium within fair use is not charged, as for jobs. The
local helper costs nothing and says it is not AI. Nothing is saved in the user's prompt: the caller shows
the suggestion and the person accepts, edits or dismisses it.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass

from sqlmodel import Session as DB

from palett.models import GeneratedImage, User
from palett.services.billing import credits
from palett.services.billing.allowance import covers
from palett.services.common import ratelimit
from palett.services.common.db import session_scope
from palett.services.common.errors import UserError
from palett.services.generation import prompt_models
from palett.services.generation.local_ops import prompt_helper
from palett.services.generation.prompt_models import PromptModel, ToolInput
from palett.services.generation.providers import ProviderFailed
from palett.services.generation.providers.text_tools import call
from palett.services.media.images import open_safely
from palett.services.media.inputs import media_for
from palett.services.media.storage import get_storage
from palett.settings import get_settings

log = logging.getLogger(__name__)
MAX_PROMPT = 2000  # the studio's prompt limit: a suggestion must fit back into it
MAX_DESCRIBE_PIXELS = 40_000_000
LIMIT = "60/hour"  # prompt tool calls per user: they are cheap but each AI one is a paid provider call


@dataclass(frozen=True)
class Suggestion:
    text: str
    tool: str  # the label of what made it (the local helper's label says "not AI")
    is_ai: bool
    charged: int
    balance: int


def pick(operation: str, key: str = "") -> PromptModel:
    """The tool asked for (it must exist, fit the operation and be runnable here), or the best one."""
    settings = get_settings()
    if not key:
        return prompt_models.best(operation, settings)
    tool = prompt_models.get(key)
    if tool.operation != operation:
        raise UserError("unknown_model")
    if not prompt_models.available(tool, settings):
        raise UserError("model_unavailable", model=tool.label)
    return tool


async def enhance(*, user_id: int, prompt: str, tool_key: str = "") -> Suggestion:
    text = " ".join(str(prompt or "").split())
    if not text:
        raise UserError("invalid_input", field="prompt", detail="Write a prompt first")
    if len(text) > MAX_PROMPT:
        raise UserError("invalid_input", field="prompt", detail=f"use at most {MAX_PROMPT} characters")
    tool = pick("enhance", tool_key)
    if tool.is_local:
        return await _local(user_id, tool, prompt_helper.enhance(text))
    return await _charged(user_id, tool, ToolInput(prompt=text))


async def describe(*, user_id: int, image_id: int, tool_key: str = "") -> Suggestion:
    tool = pick("describe", tool_key)
    key = await asyncio.to_thread(_owned_image_key, user_id, image_id)
    if tool.is_local:
        return await _local(user_id, tool, await asyncio.to_thread(_describe_locally, key))
    try:  # may upload the image to the provider's storage; nothing is charged yet
        url = await asyncio.to_thread(media_for(tool.provider).url, key)
    except ProviderFailed as exc:
        raise UserError("prompt_tool_failed", tool=tool.label, reason=exc.message) from None
    return await _charged(user_id, tool, ToolInput(image=url))


def _owned_image_key(user_id: int, image_id: int) -> str:
    with session_scope() as db:
        image = db.get(GeneratedImage, int(image_id))
        if image is None or image.user_id != user_id or not image.image_url:
            raise UserError("image_not_found")
        return image.image_url


def _describe_locally(key: str) -> str:
    try:
        img = open_safely(get_storage().get(key), MAX_DESCRIBE_PIXELS)
    except ValueError:
        raise UserError("upload_damaged") from None
    return prompt_helper.describe(img)


def _hit_limit(user_id: int) -> None:
    wait = ratelimit.hit(LIMIT, f"prompt-tools:{user_id}")
    if wait:
        raise UserError("rate_limited", limit=LIMIT.replace("/", " per "), minutes=wait)


async def _local(user_id: int, tool: PromptModel, text: str) -> Suggestion:
    _hit_limit(user_id)
    balance = await asyncio.to_thread(_balance, user_id)
    return Suggestion(_tidy(text), tool.label, False, 0, balance)


def _balance(user_id: int) -> int:
    with session_scope() as db:
        user = db.get(User, user_id)
        if user is None or user.disabled:
            raise UserError("signed_out")
        return user.credits


async def _charged(user_id: int, tool: PromptModel, inp: ToolInput) -> Suggestion:
    token = secrets.token_hex(8)
    charged = await asyncio.to_thread(_reserve, user_id, tool, token)
    try:
        text = _tidy(tool.reader(await call(tool, tool.adapter(inp))))
        if not text:
            raise ProviderFailed("The model answered with no text.")
    except ProviderFailed as exc:
        log.info("prompt tool %s failed for user %s: %s", tool.key, user_id, exc)
        await asyncio.to_thread(_settle, user_id, tool, token, charged, False)
        raise UserError("prompt_tool_failed", tool=tool.label, reason=exc.message) from None
    except BaseException:
        await asyncio.to_thread(_settle, user_id, tool, token, charged, False)
        raise
    balance = await asyncio.to_thread(_settle, user_id, tool, token, charged, True)
    return Suggestion(text, tool.label, True, charged, balance)


def _reserve(user_id: int, tool: PromptModel, token: str) -> int:
    with session_scope() as db:
        user = db.get(User, user_id)
        if user is None or user.disabled:
            raise UserError("signed_out")
        _hit_limit(user_id)
        if tool.credits == 0 or covers(db, user, operation=tool.key, cost=tool.credits):  # Premium fair use
            return 0
        try:
            credits.apply(db, user_id=user_id, delta=-tool.credits, kind=credits.Kind.reserve,
                          idempotency_key=f"prompt:{token}:reserve", reference=_reference(tool))
        except credits.InsufficientCredits:
            raise UserError("no_credits", cost=tool.credits, balance=user.credits) from None
        return tool.credits


def _settle(user_id: int, tool: PromptModel, token: str, charged: int, succeeded: bool) -> int:
    with session_scope() as db:
        if charged:
            kind = credits.Kind.capture if succeeded else credits.Kind.refund
            credits.apply(db, user_id=user_id, delta=0 if succeeded else charged, kind=kind,
                          idempotency_key=f"prompt:{token}:settle",
                          reference=f"{'Captured' if succeeded else 'Refunded'} · {_reference(tool)}")
        return _user_credits(db, user_id)


def _user_credits(db: DB, user_id: int) -> int:
    user = db.get(User, user_id)
    return user.credits if user else 0


def _reference(tool: PromptModel) -> str:
    what = "Enhance prompt" if tool.operation == "enhance" else "Describe image"
    return f"{what} · {tool.label}"


def _tidy(text: str) -> str:
    """One paragraph without wrapping quotes, cut to the studio's prompt limit."""
    text = " ".join(text.split()).strip().strip('"“”').strip()
    return text[:MAX_PROMPT]
