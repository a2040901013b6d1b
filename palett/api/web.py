"""Helpers shared by the form-handling routes: redirects, origin checks, the signed-in user."""

from __future__ import annotations

import logging
from urllib.parse import urlencode, urlsplit

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session as DB

from palett.api.cookies import token_from_request
from palett.models import Session, User
from palett.services import sessions
from palett.services.errors import UserError
from palett.services.security import token_hash
from palett.settings import get_settings

log = logging.getLogger(__name__)


def redirect(path: str, **query: str | int | None) -> RedirectResponse:
    """303 to a page of the app: a full navigation, so the page opens a new websocket."""
    params = {k: str(v) for k, v in query.items() if v not in (None, "")}
    url = get_settings().public_url.rstrip("/") + path + ("?" + urlencode(params) if params else "")
    return RedirectResponse(url, status_code=303)


def error_redirect(path: str, err: UserError, **query: str | None) -> RedirectResponse:
    log.info("user error %s on %s", err.code, path)
    return redirect(path, error=err.code, **{k: str(v) for k, v in err.params.items()}, **query)


def check_origin(request: Request) -> None:
    """Refuse state-changing form posts that a foreign site made the browser send."""
    origin = request.headers.get("origin")
    if origin:
        allowed = {_origin(get_settings().public_url), _origin(str(request.base_url))}
        if origin.rstrip("/") not in allowed:
            raise HTTPException(403, "Cross-site request refused")
        return
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise HTTPException(403, "Cross-site request refused")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def current(db: DB, request: Request) -> tuple[Session, User] | None:
    token = token_from_request(request)
    return sessions.lookup(db, token_hash(token)) if token else None
