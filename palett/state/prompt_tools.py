"""Prompt tools beside the studio prompt: Enhance, Describe an image, and the person's recent prompts.

A suggestion is shown for the person to accept, edit or dismiss; the studio's prompt only changes on
"Use this prompt". The services charge, run and refund (services/generation/prompt_tools.py).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import reflex as rx

from palett.services.common.db import session_scope
from palett.services.common.errors import UserError
from palett.services.generation import prompt_models, prompt_tools
from palett.services.generation.prompt_history import recent_prompts
from palett.settings import get_settings
from palett.state.events import Reply
from palett.state.session import SIGN_IN, SessionState, SignedIn, signed_in
from palett.state.studio import StudioState

HISTORY = 10
log = logging.getLogger(__name__)


def _offer(operation: str) -> str:
    """What a tool button will use here, in words: the AI model and its price, or the free local helper."""
    tool = prompt_models.best(operation, get_settings())
    if tool.is_local:
        return f"{tool.label}, free"
    return f"{tool.label}, {tool.credits} credit{'' if tool.credits == 1 else 's'}"


class PromptToolsState(SessionState):
    history: list[str] = []
    suggestion: str = ""
    suggestion_title: str = ""  # "Enhanced prompt" | "Prompt from your image"
    suggestion_source: str = ""  # who made it and what it cost, e.g. "AI · Florence-2 large (Fal) · 1 credit"
    suggestion_is_ai: bool = False
    busy: str = ""  # "enhance" | "describe" while a tool runs
    tools_problem: str = ""
    use_local: bool = False  # the person prefers the free local helper over a paid AI model
    enhance_offer: str = ""
    describe_offer: str = ""
    has_ai: bool = False
    _pending_image: int = 0  # the image an upload or a "Use as prompt" link asked to describe
    _upload_purpose: str = "describe"  # what the next upload is for: describe | style | subject

    @rx.event
    @signed_in
    async def load_prompt_tools(self, me: SignedIn) -> Reply:
        settings = get_settings()
        self.enhance_offer, self.describe_offer = _offer("enhance"), _offer("describe")
        self.has_ai = any(not prompt_models.best(op, settings).is_local for op in prompt_models.OPERATIONS)
        await self._load_history(me.user_id)
        describe = str(self.router.url.query_parameters.get("describe", ""))
        if describe.isdigit() and len(describe) < 19:  # "Use as prompt" on an image page or a lightbox
            self._pending_image = int(describe)
            return PromptToolsState.describe_pending
        return None

    async def _load_history(self, user_id: int) -> None:
        def run() -> list[str]:
            with session_scope() as db:
                return recent_prompts(db, user_id, HISTORY)

        self.history = await asyncio.to_thread(run)

    @rx.event
    def set_use_local(self, value: bool) -> None:
        self.use_local = bool(value)

    @rx.event
    def set_suggestion(self, value: str) -> None:
        self.suggestion = value[:prompt_tools.MAX_PROMPT]

    @rx.event
    def dismiss(self) -> None:
        self._clear()

    def _clear(self) -> None:
        self.suggestion = self.suggestion_title = self.suggestion_source = ""

    @rx.event
    async def accept(self) -> Reply:
        """Put the (possibly edited) suggestion in the studio's prompt, then give the prompt the focus."""
        text = self.suggestion.strip()
        if not text:
            return None
        studio = await self.get_state(StudioState)
        studio.prompt = text[:prompt_tools.MAX_PROMPT]
        self._clear()
        return rx.call_script("document.getElementById('prompt')?.focus()")

    @rx.event
    async def use_history(self, value: str) -> None:
        if value.isdigit() and int(value) < len(self.history):
            studio = await self.get_state(StudioState)
            studio.prompt = self.history[int(value)]

    def _tool_key(self, operation: str) -> str:
        return prompt_models.local(operation).key if self.use_local else ""

    @rx.event(background=True)
    async def enhance(self) -> Reply:
        async with self:
            user_id = await self.signed_in_user_id()
            if user_id is None:
                return rx.redirect(SIGN_IN)
            prompt = (await self.get_state(StudioState)).prompt
            self.busy, self.tools_problem = "enhance", ""
            key = self._tool_key("enhance")
        return await self._run("Enhanced prompt", prompt_tools.enhance(user_id=user_id, prompt=prompt, tool_key=key))

    @rx.event
    def describe_image(self, image_id: int | str) -> Reply:
        """An image of the person's (the service checks it is theirs) to describe, e.g. from the lightbox."""
        self._pending_image = int(image_id) if str(image_id).isdigit() and len(str(image_id)) < 19 else 0
        return PromptToolsState.describe_pending

    @rx.event(background=True)
    async def describe_pending(self) -> Reply:
        async with self:
            user_id = await self.signed_in_user_id()
            if user_id is None:
                return rx.redirect(SIGN_IN)
            self.busy, self.tools_problem = "describe", ""
            key, image, self._pending_image = self._tool_key("describe"), self._pending_image, 0
        return await self._run("Prompt from your image",
                               prompt_tools.describe(user_id=user_id, image_id=image, tool_key=key))

    async def _run(self, title: str, work: Any) -> Reply:
        try:
            got: prompt_tools.Suggestion = await work
        except UserError as err:
            async with self:
                self.busy, self.tools_problem = "", err.message
            return None
        except Exception:  # the service refunds whatever it reserved; the person gets a short answer
            log.exception("prompt tool failed")
            async with self:
                self.busy, self.tools_problem = "", "That didn't work. Try again in a moment; you were not charged."
            return None
        async with self:
            self.busy = ""
            self.suggestion, self.suggestion_title, self.suggestion_is_ai = got.text, title, got.is_ai
            charged = f"{got.charged} credit{'' if got.charged == 1 else 's'} charged" if got.charged else \
                "no credits used"
            self.suggestion_source = f"AI · {got.tool} · {charged}" if got.is_ai else f"{got.tool} · free"
            await self.current_user()  # the balance in the header follows the charge
        return rx.call_script("document.getElementById('suggestion')?.focus()")

    @rx.event
    def set_upload_purpose(self, purpose: str) -> None:
        self._upload_purpose = purpose if purpose in ("describe", "style", "subject") else "describe"

    @rx.event
    def upload_started(self) -> None:
        self.busy, self.tools_problem = "upload", ""

    @rx.event
    async def upload_finished(self, answer: dict[str, Any]) -> Reply:
        """The hardened upload route stored the file as the person's image: describe it, or use it as a reference."""
        self.busy = ""
        if not isinstance(answer, dict) or not str(answer.get("id", "")).isdigit():
            message = answer.get("message") if isinstance(answer, dict) else None
            self.tools_problem = str(message or "The upload failed.")[:200]
            return None
        if self._upload_purpose in ("style", "subject"):
            studio = await self.get_state(StudioState)
            studio.add_reference(self._upload_purpose, int(answer["id"]), str(answer.get("thumb", "")))
            return None
        self._pending_image = int(answer["id"])
        return PromptToolsState.describe_pending
