"""The studio's default model and size, kept in the browser's localStorage (preferences, not secrets).

The profile page sets them; StudioState.load_studio applies them once to a fresh form. Nothing here reads
or changes user data, so no handler needs the signed-in user.
"""

from __future__ import annotations

import reflex as rx

from palett.services.common.errors import UserError
from palett.services.generation import catalog
from palett.state.events import Reply
from palett.state.jobs import ModelOption, model_options


class StudioDefaults(rx.State):
    model: str = rx.LocalStorage("", name="palett_default_model")
    size: str = rx.LocalStorage("", name="palett_default_size")

    def _spec(self) -> catalog.ModelSpec | None:
        try:
            return catalog.get(self.model) if self.model else None
        except UserError:
            return None

    @rx.var
    def models(self) -> list[ModelOption]:
        return model_options("t2i")

    @rx.var
    def sizes(self) -> list[catalog.SizeChoice]:
        return catalog.size_choices(self._spec())

    @rx.var
    def model_value(self) -> str:
        return self.model or "auto"

    @rx.var
    def size_value(self) -> str:
        spec = self._spec()
        return self.size if spec and self.size in spec.sizes else "auto"

    @rx.event
    def set_default_model(self, key: str) -> Reply:
        if key == "auto":
            self.model, self.size = "", ""
            return rx.toast.success("The studio picks the best available model.")
        if any(m["key"] == key and m["available"] for m in model_options("t2i")):
            self.model = key
            spec = self._spec()
            if spec and self.size not in spec.sizes:
                self.size = ""
            return rx.toast.success("Default model saved on this device.")
        return None

    @rx.event
    def set_default_size(self, value: str) -> Reply:
        spec = self._spec()
        self.size = value if spec and value in spec.sizes else ""
        return rx.toast.success("Default size saved on this device.")
