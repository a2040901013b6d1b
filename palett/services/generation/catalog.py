"""The operation catalog: every model an operation can run on, what it accepts and what it costs.

Each model entry names its provider endpoint and an adapter that maps our validated
input to that endpoint's own schema. Entries are registered by t2i_models.py (text to image) and by
each operation module (services/generation/operations).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from PIL import Image
from pydantic import BaseModel, Field, ValidationError

from palett.services.common.errors import UserError
from palett.settings import Settings

# Fal's image_size presets and the pixel sizes we use for them.
IMAGE_SIZES: dict[str, tuple[int, int]] = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
}
SIZE_LABELS = {
    "square_hd": "Square HD 1:1", "square": "Square 1:1 (small)", "portrait_4_3": "Portrait 3:4",
    "portrait_16_9": "Portrait 9:16", "landscape_4_3": "Landscape 4:3", "landscape_16_9": "Landscape 16:9",
    "1:1": "Square 1:1", "16:9": "Landscape 16:9", "9:16": "Portrait 9:16", "4:3": "Landscape 4:3",
    "3:4": "Portrait 3:4", "3:2": "Landscape 3:2", "2:3": "Portrait 2:3", "21:9": "Cinema 21:9", "9:21": "Tall 9:21",
    "1024x1024": "Square 1:1", "1536x1024": "Landscape 3:2", "1024x1536": "Portrait 2:3",
}


@dataclass(frozen=True)
class SizeChoice:
    """One size in the studio's and the profile's pickers."""

    value: str
    label: str


def size_choices(spec: ModelSpec | None) -> list[SizeChoice]:
    return [SizeChoice(value=s, label=SIZE_LABELS.get(s, s)) for s in (spec.sizes if spec else ())]


def ratio_size(ratio: str, long_side: int = 1024) -> tuple[int, int]:
    """Pixel size for an aspect ratio like '16:9' (long side fixed, multiples of 8)."""
    w, h = (int(x) for x in ratio.split(":"))
    if w >= h:
        return long_side, max(8, round(long_side * h / w / 8) * 8)
    return max(8, round(long_side * w / h / 8) * 8), long_side


def pixel_size(size: str) -> tuple[int, int]:
    if size in IMAGE_SIZES:
        return IMAGE_SIZES[size]
    if "x" in size:
        w, h = size.split("x")
        return int(w), int(h)
    return ratio_size(size)


MAX_STYLE_REFS = 4  # style reference images a text-to-image request may carry (models may take fewer)


class Media(Protocol):
    """Turns one of our storage keys into something the provider can read (a URL, or the key for local)."""

    def url(self, key: str) -> str: ...


@dataclass(frozen=True)
class Source:
    """An input image the user owns, as the pipeline found it."""

    key: str
    width: int = 0
    height: int = 0


SourceLookup = Callable[[str, "int | str"], Source]


class OpInput(BaseModel):
    """What every operation's input has; each operation adds its own fields and checks."""

    model: str
    num_images: int = Field(default=1, ge=1, le=4)

    def check(self, spec: ModelSpec) -> None:
        if self.num_images > spec.max_images:
            raise UserError("unsupported", model=spec.label, what=f"more than {spec.max_images} images")

    def bind_sources(self, lookup: SourceLookup) -> None:
        """Resolve input image ids / mask keys to storage keys the user owns (edit operations)."""
        return None

    def prepare(self, spec: ModelSpec, user_id: int) -> None:
        """Make any derived inputs a provider needs (e.g. a padded canvas); runs once at submit."""
        return None

    def finish(self, img: Image.Image) -> Image.Image:
        """Last touch on each output before it is stored (e.g. exact target size)."""
        return img


class T2IInput(OpInput):
    """Text-to-image input as the studio sends it; checked against the model's own limits."""

    prompt: str = Field(min_length=1, max_length=2000)
    size: str = "square_hd"
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    steps: int | None = None
    guidance: float | None = None
    negative_prompt: str | None = Field(default=None, max_length=1000)
    style: str | None = None
    # Reference images (gallery ids the user owns); the keys are filled by bind_sources, never by a caller.
    style_refs: list[int] = Field(default_factory=list, max_length=MAX_STYLE_REFS)
    subject_ref: int | None = None
    style_ref_keys: list[str] = Field(default_factory=list)
    subject_ref_key: str = ""

    def bind_sources(self, lookup: SourceLookup) -> None:
        self.style_ref_keys = [lookup("image", ref).key for ref in self.style_refs]
        self.subject_ref_key = lookup("image", self.subject_ref).key if self.subject_ref is not None else ""

    def check(self, spec: ModelSpec) -> None:
        super().check(spec)
        if len(self.style_refs) > spec.style_refs:
            what = f"more than {spec.style_refs} style references" if spec.style_refs else "style reference images"
            raise UserError("unsupported", model=spec.label, what=what)
        if self.subject_ref is not None and not spec.subject_ref:
            raise UserError("unsupported", model=spec.label, what="a subject reference image")
        self.prompt = self.prompt.strip()
        if not self.prompt:
            raise UserError("invalid_input", field="prompt", detail="Write a prompt first")
        if self.size not in spec.sizes:
            raise UserError("unsupported", model=spec.label, what=f"the size {self.size}")
        self.steps = _in_range(spec, "steps", self.steps, spec.steps)
        self.guidance = _in_range(spec, "guidance", self.guidance, spec.guidance)
        if self.negative_prompt and not spec.negative_prompt:
            raise UserError("unsupported", model=spec.label, what="a negative prompt")
        if self.seed is not None and not spec.seed:
            raise UserError("unsupported", model=spec.label, what="a fixed seed")
        if self.style and self.style not in spec.styles:
            raise UserError("unsupported", model=spec.label, what=f"the style {self.style}")


Adapter = Callable[[Any, Media], dict[str, Any]]


@dataclass(frozen=True)
class ModelSpec:
    key: str
    label: str
    provider: str  # fal | openai | local
    endpoint: str
    adapter: Adapter
    operation: str = "t2i"
    input_model: type[OpInput] = T2IInput
    blurb: str = ""
    sizes: tuple[str, ...] = tuple(IMAGE_SIZES)
    steps: tuple[int, int, int] | None = None  # min, max, default
    guidance: tuple[float, float, float] | None = None
    negative_prompt: bool = False
    seed: bool = True
    styles: tuple[str, ...] = ()
    max_images: int = 4
    style_refs: int = 0  # how many style reference images the endpoint takes (0: none)
    subject_ref: bool = False  # whether it takes one character/subject reference image
    credits_per_image: int = 1
    rank: int = 0  # higher is preferred as the default
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_local(self) -> bool:
        return self.provider == "local"

    def cost(self, params: OpInput) -> int:
        return self.credits_per_image * params.num_images

    def parse(self, stored: dict[str, Any]) -> OpInput:
        """Rebuild a validated input from a job's stored params."""
        return self.input_model.model_validate(stored)

    def validate(self, raw: dict[str, Any]) -> OpInput:
        """Parse and check input against this model; unsupported settings are refused, not ignored."""
        try:
            params = self.input_model.model_validate({**raw, "model": self.key})
        except ValidationError as exc:
            first = exc.errors()[0]
            field_name = str(first["loc"][0]) if first["loc"] else "input"
            raise UserError("invalid_input", field=field_name, detail=first["msg"]) from exc
        params.check(self)
        return params


def _in_range(spec: ModelSpec, name: str, value: Any, limits: tuple[Any, Any, Any] | None) -> Any:
    if limits is None:
        if value is not None:
            raise UserError("unsupported", model=spec.label, what=name)
        return None
    low, high, default = limits
    if value is None:
        return default
    if not low <= value <= high:
        raise UserError("invalid_input", field=name, detail=f"use a value from {low} to {high}")
    return value


_REGISTRY: dict[str, ModelSpec] = {}
# Models the catalog no longer offers (their endpoints are gone), for labelling what was made with them.
RETIRED_LABELS = {"imagen4": "Imagen 4 (retired)"}


def register(spec: ModelSpec) -> ModelSpec:
    _REGISTRY[spec.key] = spec
    return spec


def get(key: str) -> ModelSpec:
    _load()
    try:
        return _REGISTRY[key]
    except KeyError:
        raise UserError("unknown_model") from None


def label_of(key: str) -> str:
    """A model key's label, also for retired models; the key itself when nobody knows it."""
    _load()
    spec = _REGISTRY.get(key)
    return spec.label if spec else RETIRED_LABELS.get(key, key)


def models(operation: str) -> list[ModelSpec]:
    _load()
    return sorted((m for m in _REGISTRY.values() if m.operation == operation), key=lambda m: -m.rank)


def all_models() -> list[ModelSpec]:
    """Every model of every operation."""
    _load()
    return list(_REGISTRY.values())


NOT_AVAILABLE = "Not available on this server"


def missing_setting(spec: ModelSpec, settings: Settings) -> str:
    """The setting an operator must add for this model to run ('' when none): for logs and the README only."""
    if spec.provider == "fal" and not settings.fal_key:
        return "FAL_KEY"
    if spec.provider == "openai" and not settings.openai_api_key:
        return "OPENAI_API_KEY"
    return ""


def unavailable_reason(spec: ModelSpec, settings: Settings) -> str:
    """Why a model cannot run on this server, in words for end users (never a setting name), or '' when it can."""
    return NOT_AVAILABLE if missing_setting(spec, settings) else ""


def default_model(operation: str, settings: Settings) -> ModelSpec:
    return next(m for m in models(operation) if not unavailable_reason(m, settings))


def _load() -> None:
    # Editing models come with their operation (services/generation/operations); text-to-image ones
    # are in t2i_models. Importing registers them.
    from palett.services.generation import operations, t2i_models  # noqa: F401

    operations.load()
