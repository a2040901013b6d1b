"""What an event handler hands back to Reflex, so every handler is annotated with the same two names.

Reflex accepts nothing, an event spec (`rx.redirect(...)`, `rx.toast...`, `rx.call_script(...)`,
`rx.set_clipboard(...)`), another handler (`type(self).watch`), or a list of those; a handler that sends
state part way through is an async generator yielding the same.
"""

from collections.abc import AsyncIterator, Sequence
from typing import TypeAlias

from reflex_base.event import EventCallback, EventHandler, EventSpec

# `type(self).watch` is an EventHandler at run time; mypy sees it through @rx.event as an EventCallback.
Action: TypeAlias = EventSpec | EventHandler | EventCallback[()]
Reply: TypeAlias = Action | Sequence[Action] | None
Stream: TypeAlias = AsyncIterator[Reply]
