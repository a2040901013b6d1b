"""HTTP routes beside the Reflex app: auth forms, OAuth callbacks, health."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp

from palett.api import (
    account_routes,
    auth_routes,
    billing_routes,
    health_routes,
    library_routes,
    media_routes,
    metrics_routes,
    oauth_routes,
    profile_routes,
    upload_routes,
    v1_routes,
    webhook_routes,
)
from palett.api.cookies import HashSessionCookie
from palett.api.origin_guard import TrustedOriginOnly
from palett.api.request_ids import RequestIds
from palett.api.security_headers import SecurityHeaders
from palett.settings import get_settings


def mount_api(reflex_app: ASGIApp) -> ASGIApp:
    """Build a fresh FastAPI around the Reflex ASGI app (a shared instance breaks a second start)."""
    settings = get_settings()
    api = FastAPI(title="Palett AI", docs_url=None, redoc_url=None, openapi_url=None)
    # Holds only the OAuth state/PKCE verifier between the redirect and the callback.
    api.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="palett_oauth",
        max_age=600,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    routers = (auth_routes, account_routes, oauth_routes, health_routes, media_routes, upload_routes, webhook_routes,
               metrics_routes)
    for module in routers:
        api.include_router(module.router)
    api.include_router(library_routes.router)
    api.include_router(library_routes.share_router)
    api.include_router(profile_routes.router)
    api.include_router(billing_routes.router)  # /api/webhooks/stripe, /api/billing/checkout|portal
    api.mount("/api/v1", v1_routes.build_app())  # the public API: its own OpenAPI schema and problem+json errors
    api.mount("", HashSessionCookie(reflex_app))  # pages, JS and /_event (Reflex prod serves them all here)
    # The last added runs first: headers go on every response, the 403s of the origin check included.
    api.add_middleware(TrustedOriginOnly)
    api.add_middleware(SecurityHeaders)
    return RequestIds(api)  # outermost: every response and log line of a request carries its id
