"""The profile page: avatar, display name, studio defaults (see studio_defaults.py) and "download my data"."""

from __future__ import annotations

from typing import Any

import reflex as rx

from palett.services.common.db import in_db
from palett.services.library import gallery
from palett.services.media import avatars
from palett.state.account import AccountState
from palett.state.events import Reply
from palett.state.session import SignedIn, signed_in


class ProfileState(AccountState):
    """Display name editing is AccountState's (shared with Settings); the avatar is added here."""

    avatar_busy: bool = False
    avatar_error: str = ""
    has_own_avatar: bool = False
    public_page: str = ""  # /u/<id>-<name>: what visitors see once they share an image

    def _show_avatar(self) -> None:
        self.has_own_avatar = self.user_image.startswith(avatars.ROUTE + "/")

    @rx.event
    @signed_in
    async def load_profile(self, me: SignedIn) -> None:
        self.name_draft, self.saved, self.problem, self.avatar_error = me.user.name, "", "", ""
        self.public_page = gallery.profile_path(me.user_id, me.user.name)
        self._show_avatar()
        return None

    @rx.event
    def avatar_started(self) -> None:
        self.avatar_busy, self.avatar_error = True, ""

    @rx.event
    @signed_in
    async def avatar_finished(self, me: SignedIn, answer: dict[str, Any]) -> Reply:
        """library.js posted the file to /api/profile/avatar (which did the checks) and hands over its answer."""
        self.avatar_busy = False
        if not isinstance(answer, dict) or "image" not in answer:
            message = answer.get("message") if isinstance(answer, dict) else None
            self.avatar_error = str(message or "The upload failed.")[:200]
            return None
        self._show_avatar()  # the picture shown is the one the database has (@signed_in just read it)
        return rx.toast.success("New profile picture saved.")

    @rx.event
    @signed_in
    async def remove_avatar(self, me: SignedIn) -> None:
        user_id = me.user_id
        await in_db(lambda db: avatars.remove_avatar(db, user_id))
        await self.current_user()
        self._show_avatar()
        return None
