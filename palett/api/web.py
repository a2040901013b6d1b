"""Helpers shared by the form-handling routes: redirects, origin checks, the signed-in user."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse
from reflex.utils.exec import is_prod_mode
from sqlmodel import Session as DB

from palett.api.cookies import token_from_request
from palett.models import Session, User
from palett.services.accounts import sessions
from palett.services.accounts.security import token_hash
from palett.services.common import origins
from palett.services.common.client_address import client_address
from palett.services.common.errors import UserError
from palett.settings import get_settings

log = logging.getLogger(__name__)


def redirect(path: str, **query: str | int | None) -> RedirectResponse:
    """303 to a page of the app: a full navigation, so the page opens a new websocket."""
    params = {k: str(v) for k, v in query.items() if v not in (None, "")}
    return RedirectResponse(page_url(path) + ("?" + urlencode(params) if params else ""), status_code=303)


def page_url(path: str) -> str:
    """Where a redirect to one of our pages points.

    Reflex prod serves pages and API on one port, so a relative URL lands on whatever host and port
    the browser used (even when PUBLIC_URL is off). In dev the API has its own port without pages:
    only PUBLIC_URL reaches them there.
    """
    return path if is_prod_mode() else get_settings().public_url.rstrip("/") + path


def error_redirect(path: str, err: UserError, **query: str | None) -> RedirectResponse:
    log.info("user error %s on %s", err.code, path)
    return redirect(path, error=err.code, **{k: str(v) for k, v in err.params.items()}, **query)


def check_origin(request: Request) -> None:
    """Refuse state-changing form posts that a foreign site made the browser send."""
    origin = request.headers.get("origin")
    if origin:
        if not origins.is_trusted(origin, get_settings()):
            raise HTTPException(403, "Cross-site request refused")
        return
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise HTTPException(403, "Cross-site request refused")


def client_ip(request: Request) -> str:
    """The client address every per-IP limit keys on (forwarded headers only from TRUSTED_PROXIES)."""
    peer = request.client.host if request.client else ""
    return client_address(peer, request.headers, get_settings().trusted_proxies)


def current(db: DB, request: Request) -> tuple[Session, User] | None:
    token = token_from_request(request)
    return sessions.lookup(db, token_hash(token)) if token else None
