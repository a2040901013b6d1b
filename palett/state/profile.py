"""The profile page: avatar, display name, studio defaults (see studio_defaults.py) and "download my data"."""

from __future__ import annotations

from typing import Any

import reflex as rx

from palett.services import avatars
from palett.state.account import AccountState
from palett.state.gallery import in_db


class ProfileState(AccountState):
    """Display name editing is AccountState's (shared with Settings); the avatar is added here."""

    avatar_busy: bool = False
    avatar_error: str = ""
    has_own_avatar: bool = False

    def _show_avatar(self) -> None:
        self.has_own_avatar = self.user_image.startswith(avatars.ROUTE + "/")

    @rx.event
    async def load_profile(self):  # type: ignore[no-untyped-def]
        found = await self.current_user()
        if found is None:
            return rx.redirect("/signin?error=signed_out")
        self.name_draft, self.saved, self.problem, self.avatar_error = found[1].name, "", "", ""
        self._show_avatar()
        return None

    @rx.event
    def avatar_started(self) -> None:
        self.avatar_busy, self.avatar_error = True, ""

    @rx.event
    async def avatar_finished(self, answer: dict[str, Any]):  # type: ignore[no-untyped-def]
        """library.js posted the file to /api/profile/avatar (which did the checks) and hands over its answer."""
        self.avatar_busy = False
        if not isinstance(answer, dict) or "image" not in answer:
            message = answer.get("message") if isinstance(answer, dict) else None
            self.avatar_error = str(message or "The upload failed.")[:200]
            return None
        if await self.current_user() is None:  # the picture shown is the one the database has
            return rx.redirect("/signin?error=signed_out")
        self._show_avatar()
        return rx.toast.success("New profile picture saved.")

    @rx.event
    async def remove_avatar(self):  # type: ignore[no-untyped-def]
        found = await self.current_user()
        if found is None:
            return rx.redirect("/signin?error=signed_out")
        user_id = found[1].id or 0
        await in_db(lambda db: avatars.remove_avatar(db, user_id))
        await self.current_user()
        self._show_avatar()
        return None
