"""Toasts belong to the page that raised them: leaving a page dismisses its toasts.

A toast whose id starts with "carry" is meant for the next page (e.g. "Image deleted." before a redirect to
the gallery) and is left alone.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import Var
from reflex_base.utils.imports import ImportVar
from reflex_base.vars import VarData

CARRY_PREFIX = "carry"

_DISMISS_ON_LEAVE: Var[None] = Var(
    _js_expr=(
        "useEffect(() => () => { const t = refs['__toast']; if (!t || !t.getToasts) return; "
        f"t.getToasts().forEach((x) => {{ if (!String(x.id).startsWith('{CARRY_PREFIX}')) t.dismiss(x.id); }}); "
        "}, [])"
    ),
    _var_data=VarData(imports={"react": [ImportVar(tag="useEffect")], "$/utils/state": [ImportVar(tag="refs")]}),
)


class PageToasts(rx.Fragment):
    """Renders nothing; when its page unmounts (client-side navigation) the page's toasts go with it."""

    def add_hooks(self) -> list[str | Var]:
        return [_DISMISS_ON_LEAVE]


def page_toasts() -> rx.Component:
    return PageToasts.create()
