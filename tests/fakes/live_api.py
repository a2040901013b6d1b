"""The API (mount_api) served by uvicorn on 127.0.0.1 with the in-process job runner, like `make run` serves it.

uvicorn runs with lifespan off (tests/fakes/server.py), so the runner the Reflex app starts as a lifespan task is
started here on the first request, in the server's own event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from palett.api import mount_api
from palett.services.generation import dispatch
from tests.fakes.server import serve_in_thread


class WithJobRunner:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.runner: asyncio.Task[None] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None  # the server's: where the studio's submits would run

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.runner is None:
            self.loop = asyncio.get_running_loop()
            self.runner = self.loop.create_task(dispatch.get_queue().serve())
        await self.app(scope, receive, send)


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 404, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def serve_api(*, run_jobs: bool = True) -> tuple[str, Callable[[], None]]:
    """Start the API; returns its base URL (http://127.0.0.1:<port>) and a function that stops it."""
    app = mount_api(_not_found)
    return serve_in_thread(WithJobRunner(app) if run_jobs else app)
