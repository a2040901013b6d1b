"""A local emulator of OpenAI's Images API (POST /v1/images/generations) and Chat Completions
(POST /v1/chat/completions, the prompt tools), as the official SDK calls them.

Requests are held to the contract taken from the installed SDK's own types (tests/contracts/openai/): an
unknown parameter, a wrong value or a missing prompt answers OpenAI's 400, a shut-down model its 404, and a
success has the published ImagesResponse shape.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests import contracts

ENDPOINT = "images.generate"
CHAT_ENDPOINT = "chat.completions.create"
REFUSAL = "Your request was rejected by our safety system."


def _error(status: int, message: str, code: str, param: str | None = None,
           kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "param": param, "code": code}}, status)


class OpenAIImagesEmulator:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.mode = "succeed"  # succeed | safety | http_500 | empty (chat: an answer with no text)
        self.refusal = REFUSAL  # the message a moderation refusal carries
        self.app = Starlette(routes=[Route("/v1/images/generations", self.generate, methods=["POST"]),
                                     Route("/v1/chat/completions", self.chat, methods=["POST"])])

    async def chat(self, request: Request) -> JSONResponse:
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return JSONResponse({"error": {"message": "Missing API key", "type": "invalid_request_error"}}, 401)
        body = await request.json()
        self.requests.append(body)
        refused = self._refuse(body, CHAT_ENDPOINT)
        if refused is not None:
            return refused
        if self.mode == "http_500":
            return JSONResponse({"error": {"message": "The server had an error", "type": "server_error"}}, 500)
        said = next((m["content"] for m in reversed(body["messages"]) if m.get("role") == "user"), "")
        text = "" if self.mode == "empty" else f"{said}, golden hour light, 35mm photograph, rich detail"
        answer = {"id": "chatcmpl-emulator", "object": "chat.completion", "created": 1_800_000_000,
                  "model": body["model"],
                  "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                               "message": {"role": "assistant", "content": text, "refusal": None}}],
                  "usage": {"prompt_tokens": 40, "completion_tokens": 30, "total_tokens": 70}}
        problems = contracts.output_errors("openai", CHAT_ENDPOINT, answer)
        assert not problems, f"the emulator's answer breaks the published ChatCompletion: {problems}"
        return JSONResponse(answer)

    async def generate(self, request: Request) -> JSONResponse:
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return JSONResponse({"error": {"message": "Missing API key", "type": "invalid_request_error"}}, 401)
        body = await request.json()
        self.requests.append(body)
        refused = self._refuse(body)
        if refused is not None:
            return refused
        if self.mode == "safety":
            return _error(400, self.refusal, "moderation_blocked", kind="image_generation_user_error")
        if self.mode == "http_500":
            return JSONResponse({"error": {"message": "The server had an error", "type": "server_error"}}, 500)
        width, height = (int(x) for x in body.get("size", "1024x1024").split("x"))
        data = []
        for i in range(int(body.get("n", 1))):
            buf = io.BytesIO()
            Image.new("RGB", (width // 8, height // 8), (40 * i, 120, 200)).resize((width, height)).save(buf, "PNG")
            data.append({"b64_json": base64.b64encode(buf.getvalue()).decode()})
        answer = {"created": 1_800_000_000, "data": data, "size": f"{width}x{height}", "output_format": "png",
                  "usage": {"total_tokens": 100, "input_tokens": 10, "output_tokens": 90,
                            "input_tokens_details": {"image_tokens": 0, "text_tokens": 10}}}
        problems = contracts.output_errors("openai", ENDPOINT, answer)
        assert not problems, f"the emulator's answer breaks the published ImagesResponse: {problems}"
        return JSONResponse(answer)

    def _refuse(self, body: Any, endpoint: str = ENDPOINT) -> JSONResponse | None:
        """OpenAI's own answers to a request its API does not take."""
        contract = contracts.load("openai", endpoint)
        assert contract is not None
        if isinstance(body, dict) and body.get("model") in contract.get("shut_down_models", ()):
            return _error(404, f"The model `{body['model']}` does not exist or you do not have access to it.",
                          "model_not_found")
        for problem in contracts.errors(contract["input"], body):
            param = str(problem["loc"][1]) if len(problem["loc"]) > 1 else None
            if problem["type"] == "extra_forbidden":
                return _error(400, f"Unknown parameter: '{param}'.", "unknown_parameter", param)
            if problem["type"] == "missing":
                return _error(400, f"Missing required parameter: '{param}'.", "missing_required_parameter", param)
            return _error(400, f"Invalid value for '{param}': {problem['msg']}", "invalid_value", param)
        return None
