"""Logs and error reports for every process (web app and worker), tagged with request, user and job ids.

Ids are bound in context variables (structlog.contextvars), so every log line written while handling a
request or running a job carries them, whichever library wrote it. Sentry gets the same ids as tags and
the user id only (send_default_pii stays off: no email, cookies or IP).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import structlog

from palett.settings import get_settings

_configured: str | None = None


def setup(process: str) -> None:
    """Configure logging and Sentry once per process ("web" or "worker")."""
    global _configured
    if _configured == process:
        return
    _configured = process
    settings = get_settings()
    json_logs = settings.log_format == "json" or (not settings.log_format and settings.production)
    shared: list[Any] = [structlog.contextvars.merge_contextvars, structlog.stdlib.add_log_level,
                         structlog.stdlib.add_logger_name, structlog.processors.TimeStamper(fmt="iso", utc=True)]
    renderer: Any = structlog.processors.JSONRenderer() if json_logs else structlog.dev.ConsoleRenderer(colors=False)
    handler = logging.StreamHandler()
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info, renderer]))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per provider poll would drown the log
    if settings.sentry_dsn:
        import sentry_sdk

        sentry_sdk.init(dsn=settings.sentry_dsn, environment=settings.palett_env, release=settings.release or None,
                        server_name=process, send_default_pii=False)
        sentry_sdk.set_tag("process", process)


@contextmanager
def bound(**ids: Any) -> Iterator[None]:
    """Tag logs and error reports made inside the block with these ids (request_id, user_id, job_id)."""
    ids = {k: v for k, v in ids.items() if v is not None}
    with structlog.contextvars.bound_contextvars(**ids):
        if get_settings().sentry_dsn:
            import sentry_sdk

            with sentry_sdk.new_scope() as scope:
                for key, value in ids.items():
                    scope.set_tag(key, str(value))
                if "user_id" in ids:
                    scope.set_user({"id": str(ids["user_id"])})
                yield
        else:
            yield


def job_scope(run: Callable[[int], Awaitable[None]]) -> Callable[[int], Awaitable[None]]:
    """Decorate a job runner: everything logged or reported while it runs carries the job id."""

    @functools.wraps(run)
    async def tagged(job_id: int) -> None:
        with bound(job_id=job_id):
            await run(job_id)

    return tagged
