"""A local emulator of OpenAI's Images API (POST /v1/images/generations), as the official SDK calls it."""

from __future__ import annotations

import base64
import io
from typing import Any

from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


class OpenAIImagesEmulator:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.mode = "succeed"  # succeed | safety | http_500
        self.app = Starlette(routes=[Route("/v1/images/generations", self.generate, methods=["POST"])])

    async def generate(self, request: Request) -> JSONResponse:
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return JSONResponse({"error": {"message": "Missing API key", "type": "invalid_request_error"}}, 401)
        body = await request.json()
        self.requests.append(body)
        if self.mode == "safety":
            return JSONResponse({"error": {"message": "Your request was rejected by our safety system.",
                                           "type": "image_generation_user_error", "code": "moderation_blocked"}},
                                400)
        if self.mode == "http_500":
            return JSONResponse({"error": {"message": "The server had an error", "type": "server_error"}}, 500)
        width, height = (int(x) for x in body.get("size", "1024x1024").split("x"))
        data = []
        for i in range(int(body.get("n", 1))):
            buf = io.BytesIO()
            Image.new("RGB", (width // 8, height // 8), (40 * i, 120, 200)).resize((width, height)).save(buf, "PNG")
            data.append({"b64_json": base64.b64encode(buf.getvalue()).decode()})
        return JSONResponse({"created": 1_800_000_000, "data": data,
                             "usage": {"total_tokens": 100, "input_tokens": 10, "output_tokens": 90}})
