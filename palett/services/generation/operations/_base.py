"""What an operation is: one descriptor that the catalog, the local provider, the editor and every label read.

An operation module builds one `Operation` and passes it to `register`; the registry (this package's
__init__) finds the modules by itself, so adding an operation is adding a module (docs/design.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from PIL import Image

from palett.services.common.errors import UserError
from palett.services.generation import catalog
from palett.services.generation.catalog import Media, ModelSpec, OpInput, SourceLookup

MAX_SIDE = 8192  # the longest side an edit may produce
LOCAL_NOTE = "Runs on this server with classical image processing — not AI."


class OpKey(StrEnum):
    """The built-in operations, for the code that has to name one (a job's key is stored as this text)."""

    T2I = "t2i"
    BG_REMOVE = "bg_remove"
    BG_REPLACE = "bg_replace"
    UPSCALE = "upscale"
    INPAINT = "inpaint"
    OUTPAINT = "outpaint"
    STYLE = "style"
    RESTORE = "restore"
    I2I = "i2i"


class EditInput(OpInput):
    # An operation on one of the user's images (referenced by gallery id). A comment, not a docstring:
    # pydantic would publish a docstring in the public API's input schemas.
    image_id: int
    image_key: str = ""  # filled by the pipeline; never trusted from the client
    source_width: int = 0
    source_height: int = 0

    def bind_sources(self, lookup: SourceLookup) -> None:
        source = lookup("image", self.image_id)
        self.image_key, self.source_width, self.source_height = source.key, source.width, source.height

    def check(self, spec: ModelSpec) -> None:
        super().check(spec)
        if self.num_images != 1:
            raise UserError("unsupported", model=spec.label, what="more than one result")

    def output_size(self) -> tuple[int, int]:
        """The (width, height) of the result; the editor shows it before anything runs."""
        return self.source_width, self.source_height

    def refuse_too_large(self) -> None:
        w, h = self.output_size()
        if max(w, h) > MAX_SIDE:
            raise UserError("too_large_output", width=w, height=h, limit=MAX_SIDE)


Load = Callable[[str], Image.Image]
# (validated input, the source image, load(storage key) for any other image it names) -> the result.
# A module-level function: it is sent to the heavy-work process by reference.
LocalRunner = Callable[[Any, Image.Image, Load], Image.Image]
EditorParams = Callable[[Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Control:
    """A setting the editor draws with one of its generic controls and sends under the same name.

    field: "prompt" (a text area), "strength" (a slider) or "faces" (a switch).
    """

    field: str
    label: str
    placeholder: str = ""
    lines: int = 2


@dataclass(frozen=True)
class Operation:
    key: str
    label: str  # the one name people see: editor tab, job cards, gallery, usage
    icon: str  # a lucide icon name
    hint: str  # one line under the editor's tabs
    input_model: type[OpInput]
    credits_per_image: int = 1  # what each of its models charges per result
    models: tuple[ModelSpec, ...] = ()  # the provider entries; operation, input and cost are filled in here
    run_local: LocalRunner | None = None  # what its "local" models run on this server
    order: int = 100  # position in the editor's tabs and in lists of operations
    in_editor: bool = True
    needs_mask: bool = False  # the editor asks the user to paint a mask (so: one image at a time)
    controls: tuple[Control, ...] = ()  # the generic settings; an operation with a custom panel has none
    editor_params: EditorParams | None = None  # editor form -> request; default: the controls' fields

    def request(self, form: Mapping[str, Any]) -> dict[str, Any]:
        """The settings the editor sends for this operation, read from its form (named like the fields)."""
        if self.editor_params is not None:
            return self.editor_params(form)
        return {c.field: form[c.field] for c in self.controls}


def fields(*names: str) -> EditorParams:
    """editor_params that sends these form values under their own names."""
    return lambda form: {name: form[name] for name in names}


_OPERATIONS: dict[str, Operation] = {}


def register(op: Operation) -> Operation:
    """Add an operation and its models to the catalog (registering a key again replaces it)."""
    # pydantic drops unknown fields silently: a control the input lacks would never reach the operation.
    missing = [c.field for c in op.controls if c.field not in op.input_model.model_fields]
    if op.needs_mask and "mask_key" not in op.input_model.model_fields:
        missing.append("mask_key")
    if missing:
        raise ValueError(f"operation {op.key}: {op.input_model.__name__} has no field {', '.join(missing)}")
    _OPERATIONS[op.key] = op
    for spec in op.models:
        catalog.register(dataclasses.replace(spec, operation=op.key, input_model=op.input_model,
                                             credits_per_image=op.credits_per_image))
    return op


def local_args(p: EditInput, media: Media) -> dict[str, Any]:
    """The adapter of every local edit model: the local provider finds the operation by `op`."""
    return {"op": catalog.get(p.model).operation, **p.model_dump(), "image": media.url(p.image_key)}


def local_model(key: str, label: str, blurb: str, **more: Any) -> ModelSpec:
    """An entry for the operation's local runner (provider "local", endpoint "local/<key>" unless given)."""
    endpoint = more.pop("endpoint", f"local/{key.removeprefix('local-')}")
    return ModelSpec(key=key, label=label, provider="local", endpoint=endpoint, adapter=local_args, blurb=blurb,
                     **more)


def seed_of(p: Any) -> dict[str, Any]:
    """{"seed": …} for an adapter's body when the input has a fixed seed."""
    return {"seed": p.seed} if getattr(p, "seed", None) is not None else {}
