"""Reading the page's own URL in the browser, where state would arrive only with the socket's first answer."""

from __future__ import annotations

import reflex as rx
from reflex.vars import StringVar
from reflex_base.utils.imports import ImportVar
from reflex_base.vars import VarData


def route_param(name: str) -> StringVar:
    """A dynamic route's parameter (`image_id` of `/image/[image_id]`) from React Router, on the first render."""
    return rx.Var(
        _js_expr=f"(routeParams[{name!r}] ?? \"\")",
        _var_data=VarData(imports={"react-router": [ImportVar(tag="useParams")]},
                          hooks={"const routeParams = useParams();": None}),
    ).to(str)
