"""What a tab sees when Reflex's state store (Redis) can't be reached: a plain "try again shortly", never a 500.

Reflex loads a tab's state from Redis before any handler runs, so an outage fails every event there,
outside our handlers. Its backend exception handler is the one hook that sees those failures:
- a page load (the hydrate event) goes to the unavailable page, which reloads the page by itself
  until Redis answers again (redis-py reconnects on its own: no restart needed);
- a click on a page that is already showing gets a toast and leaves the page (and what was typed) as is.
Every other error keeps Reflex's default handling.
"""

from __future__ import annotations

import asyncio
import json
import logging

import redis.exceptions
import reflex as rx
from reflex.app import default_backend_exception_handler
from reflex.event import EventSpec

from palett.services.common.errors import message_for

log = logging.getLogger(__name__)
UNAVAILABLE_PAGE = "/api/unavailable?next="  # api/health_routes.py serves it without Redis
PAGE_LOAD_EVENTS = ("hydrate", "on_load_internal")  # Reflex's own events that build a page's state


def store_unreachable(exc: BaseException | None) -> bool:
    """True when the error (or one it came from) is Redis being unreachable or too slow."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _failed_event_name() -> str:
    """Reflex runs this handler in a task named after the failed event's task ("...|reflex_event|<name>|...")."""
    task = asyncio.current_task()
    return task.get_name() if task else ""


def handle_backend_exception(exception: Exception) -> EventSpec:
    if not store_unreachable(exception):
        return default_backend_exception_handler(exception)
    failed = _failed_event_name()
    log.warning("state store unreachable during %s: %r", failed or "an event", exception)
    if any(name in failed for name in PAGE_LOAD_EVENTS):
        here = "encodeURIComponent(location.pathname + location.search)"
        return rx.call_script(f"window.location.replace({json.dumps(UNAVAILABLE_PAGE)} + {here})")
    return rx.toast.error(message_for("try_again_shortly"), id="try-again-shortly")
