"""The public API v1's request and response bodies, as its OpenAPI schema shows them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Me(BaseModel):
    id: int
    email: str
    credits: int
    plan: str
    rate_limit: str = Field(description="Generations allowed per window on this plan, e.g. 10/hour")
    key_rate_limit: str = Field(description="Requests allowed per window for each API key, e.g. 120/minute")
    scopes: list[str]


class ModelInfo(BaseModel):
    key: str
    operation: str
    label: str
    provider: str
    available: bool
    credits_per_image: int
    settings: dict[str, Any] = Field(description="The settings this model supports, with their limits")
    input_schema: dict[str, Any] = Field(description="JSON Schema of the body POST /generations takes")


class Image(BaseModel):
    id: int
    url: str = Field(description="A signed URL that expires")
    width: int
    height: int
    seed: int | None


class Generation(BaseModel):
    id: int
    status: str = Field(description="queued | running | succeeded | failed | cancelled")
    operation: str
    model: str
    progress: float
    queue_position: int | None
    cost: int
    charged: int
    error: str | None
    params: dict[str, Any]
    images: list[Image]


class Accepted(BaseModel):
    id: int
    status: str
    reserved: int
    balance: int


class GenerationPage(BaseModel):
    data: list[Generation]
    next_cursor: int | None = Field(description="Pass as `before` for the next page; null on the last page")


class ProblemDoc(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(description="Stable per kind of error, e.g. /api/v1/problems/insufficient-credits")
    title: str
    status: int
    detail: str
    field: str | None = Field(default=None, description="The input to fix (invalid-input only)")


class Upload(BaseModel):
    id: int = Field(description="Use it as image_id (or background_id, reference_id, mask_id) in POST /generations")
    url: str = Field(description="A signed URL that expires")
    thumb_url: str
    width: int
    height: int


class LibraryImage(BaseModel):
    id: int
    url: str = Field(description="A signed URL that expires after url_expires_in seconds")
    thumb_url: str
    url_expires_in: int
    width: int
    height: int
    prompt: str
    model: str
    operation: str = Field(description="t2i, upscale, … or upload")
    favorite: bool
    is_public: bool
    created_at: str = Field(description="ISO 8601, UTC")


class ImageDetail(LibraryImage):
    download_url: str = Field(description="A signed URL that downloads the file")
    seed: int | None
    generation_id: int | None = Field(description="The generation that made it; null for uploads")
    source_image_id: int | None = Field(description="The image an edit started from, while it exists")


class ImagePage(BaseModel):
    data: list[LibraryImage]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")
