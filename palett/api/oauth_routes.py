"""Google and GitHub sign-in through authlib (authorization code flow with state and PKCE)."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from authlib.integrations.starlette_client import OAuth, OAuthError
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from palett.api.auth_routes import sign_in_response
from palett.api.web import check_origin, current, error_redirect, redirect
from palett.services.accounts import oauth_links
from palett.services.accounts.oauth_links import Identity, enabled_providers
from palett.services.accounts.return_path import return_to, safe_next
from palett.services.common.db import session_scope
from palett.services.common.errors import UserError
from palett.settings import get_settings

try:  # authlib talks through httpx2 when it is installed (openai pulls it in), else httpx
    import httpx2 as _authlib_httpx
except ImportError:
    _authlib_httpx = httpx  # type: ignore[no-redef,misc]

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/oauth")
# A provider that is down, slow or answering 5xx, whichever httpx authlib picked.
NETWORK_ERRORS = (httpx.HTTPError, _authlib_httpx.HTTPError)


def _client(provider: str) -> Any:
    settings = get_settings()
    if provider not in enabled_providers(settings):
        raise HTTPException(404, "Unknown sign-in provider")
    oauth = OAuth()
    if provider == "google":
        oauth.register(
            "google",
            client_id=settings.google_client_id,
            client_secret=settings.google_client_secret,
            server_metadata_url=settings.google_metadata_url,
            client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256", "timeout": 15},
        )
    else:
        oauth.register(
            "github",
            client_id=settings.github_client_id,
            client_secret=settings.github_client_secret,
            authorize_url=settings.github_authorize_url,
            access_token_url=settings.github_token_url,
            api_base_url=settings.github_api_url.rstrip("/") + "/",
            client_kwargs={
                "scope": "read:user user:email",
                "code_challenge_method": "S256",
                # GitHub documents client_secret_post; authlib defaults to HTTP Basic.
                "token_endpoint_auth_method": "client_secret_post",
                "timeout": 15,
            },
        )
    return oauth.create_client(provider)


def _callback_url(provider: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}/api/oauth/{provider}/callback"


@router.get("/{provider}/start")
async def start(provider: str, request: Request, next: str = "") -> RedirectResponse:
    client = _client(provider)
    name = oauth_links.PROVIDER_NAMES[provider]
    back = safe_next(next)
    try:
        # authorize_redirect, with the return address kept in the state's server-side data (checked again on return)
        found = await client.create_authorization_url(_callback_url(provider))
        await client.save_authorize_data(request, redirect_uri=_callback_url(provider), next=back, **found)
        return RedirectResponse(found["url"], status_code=302)
    except (*NETWORK_ERRORS, OAuthError) as exc:
        log.warning("oauth start %s failed: %r", provider, exc)
        return error_redirect("/signin", UserError("oauth_unavailable", provider=name), next=back)


@router.get("/{provider}/callback")
async def callback(provider: str, request: Request) -> RedirectResponse:
    client = _client(provider)
    name = oauth_links.PROVIDER_NAMES[provider]
    state = await client.framework.get_state_data(request.session, request.query_params.get("state")) or {}
    back = safe_next(state.get("next"))  # read before authorize_access_token clears the state
    try:
        token = await client.authorize_access_token(request)
        identity = await (_google_identity(token) if provider == "google" else _github_identity(client, token))
    except OAuthError as exc:
        log.warning("oauth callback %s refused: %s %s", provider, exc.error, exc.description)
        code = "oauth_state" if exc.error == "mismatching_state" else "oauth_failed"
        return error_redirect("/signin", UserError(code, provider=name), next=back)
    except (*NETWORK_ERRORS, KeyError, ValueError) as exc:
        log.warning("oauth callback %s failed: %r", provider, exc)
        return error_redirect("/signin", UserError("oauth_unavailable", provider=name), next=back)
    return await run_in_threadpool(_finish, identity, request, back)


def _finish(identity: Identity, request: Request, back: str | None) -> RedirectResponse:
    found = None
    try:
        with session_scope() as db:
            found = current(db, request)
            user = oauth_links.sign_in(db, identity, current_user=found[1] if found else None)
            user_id = user.id
    except UserError as err:
        return error_redirect("/settings", err) if found else error_redirect("/signin", err, next=back)
    assert user_id is not None
    if found:
        return redirect("/settings", notice="linked")
    return sign_in_response(user_id, request, return_to(back))


async def _google_identity(token: dict[str, Any]) -> Identity:
    info = token.get("userinfo") or {}
    return Identity(
        provider="google",
        account_id=str(info["sub"]),
        email=info.get("email"),
        email_verified=bool(info.get("email_verified")),
        name=info.get("name") or "",
        image=info.get("picture"),
    )


async def _github_identity(client: Any, token: dict[str, Any]) -> Identity:
    profile = (await client.get("user", token=token)).raise_for_status().json()
    emails = (await client.get("user/emails", token=token)).raise_for_status().json()
    flagged = next((e for e in emails if e.get("primary")), None)
    primary: dict[str, Any] = flagged or next(iter(emails), {})
    return Identity(
        provider="github",
        account_id=str(profile["id"]),
        email=primary.get("email"),
        email_verified=bool(primary.get("verified")),
        name=profile.get("name") or profile.get("login") or "",
        image=profile.get("avatar_url"),
    )


@router.post("/{provider}/unlink", dependencies=[Depends(check_origin)])
def unlink(provider: str, request: Request) -> RedirectResponse:
    try:
        with session_scope() as db:
            found = current(db, request)
            if not found:
                return redirect("/signin", error="signed_out")
            oauth_links.unlink(db, found[1], provider)
    except UserError as err:
        return error_redirect("/settings", err)
    return redirect("/settings", notice="unlinked")
