"""Reference images in the studio form: up to four style references and one subject image.

What each model takes comes from the catalog (ModelSpec.style_refs / subject_ref); the server checks the
request again and refuses references a model does not take, by name, before anything is charged.
"""

from __future__ import annotations

from typing import Any, TypedDict

import reflex as rx

from palett.services.generation import catalog


class RefCard(TypedDict):
    id: int
    thumb: str


def _takers() -> str:
    """Which models take which references, in words, from the catalog."""
    parts = []
    for spec in catalog.models("t2i"):
        if spec.is_local and spec.style_refs:
            parts.append(f"{spec.label} copies their colour and tone")
        elif spec.style_refs:
            parts.append(f"{spec.label} takes up to {spec.style_refs} style references")
        elif spec.subject_ref:
            parts.append(f"{spec.label} takes one subject image")
    return "; ".join(parts)


class ReferencesMixin(rx.State, mixin=True):
    style_refs: list[RefCard] = []
    subject_refs: list[RefCard] = []  # none or one

    def _spec(self) -> catalog.ModelSpec | None:  # the studio's own comes first in its MRO
        return None

    @rx.var
    def max_style_refs(self) -> int:
        spec = self._spec()
        return spec.style_refs if spec else 0

    @rx.var
    def takes_subject(self) -> bool:
        spec = self._spec()
        return bool(spec and spec.subject_ref)

    @rx.var
    def references_note(self) -> str:
        spec = self._spec()
        if spec is None:
            return ""
        if spec.is_local:
            return ("Style references lend the local preview their colour and tone (a colour transfer on this "
                    "server, not AI).")
        if spec.style_refs or spec.subject_ref:
            what = f"up to {spec.style_refs} style references" if spec.style_refs else "one subject image"
            return f"{spec.label} takes {what}."
        return f"{spec.label} takes no reference images. {_takers()}."

    @rx.var
    def references_refused(self) -> str:
        """Why the chosen model would refuse the references in the form ('' when it takes them)."""
        spec = self._spec()
        if spec is None:
            return ""
        if len(self.style_refs) > spec.style_refs:
            return (f"{spec.label} takes {spec.style_refs or 'no'} style references: remove some or pick another "
                    "model.")
        if self.subject_refs and not spec.subject_ref:
            return f"{spec.label} takes no subject image: remove it or pick another model."
        return ""

    def add_reference(self, kind: str, image_id: int, thumb: str) -> None:
        card = RefCard(id=image_id, thumb=thumb)
        if kind == "subject":
            self.subject_refs = [card]
        elif len(self.style_refs) < catalog.MAX_STYLE_REFS and all(r["id"] != image_id for r in self.style_refs):
            self.style_refs = [*self.style_refs, card]

    @rx.event
    def use_as_style_ref(self, image_id: int, thumb: str) -> None:
        """A result of the person's as a style reference (submit checks again that it is theirs)."""
        if str(image_id).isdigit():
            self.add_reference("style", int(image_id), str(thumb)[:2000])

    @rx.event
    def remove_style_ref(self, image_id: int) -> None:
        self.style_refs = [r for r in self.style_refs if r["id"] != int(image_id)]

    @rx.event
    def remove_subject_ref(self) -> None:
        self.subject_refs = []

    def _reference_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if self.style_refs:
            params["style_refs"] = [r["id"] for r in self.style_refs]
        if self.subject_refs:
            params["subject_ref"] = self.subject_refs[0]["id"]
        return params
