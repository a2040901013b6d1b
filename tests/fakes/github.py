"""A small fake of GitHub's OAuth app flow, speaking the same wire protocol as github.com.

- GET  /login/oauth/authorize     checks client_id and redirect_uri, records state and the PKCE
                                  challenge, then 302s straight back with ?code=&state= for the user
                                  set in `approving` (or ?error=access_denied when `deny` is set).
- POST /login/oauth/access_token  client_secret_post only (credentials in the form body), single-use
                                  codes, PKCE S256 checked; JSON when the client sends
                                  Accept: application/json, form-encoded otherwise, errors as
                                  200 + {"error": ...} the way GitHub answers.
- GET  /user, GET /user/emails    Bearer token (GitHub also takes "token <t>").
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route


@dataclass
class GitHubUser:
    id: int
    login: str
    name: str = ""
    emails: list[dict[str, Any]] = field(default_factory=list)

    @property
    def avatar_url(self) -> str:
        return f"https://avatars.githubusercontent.com/u/{self.id}?v=4"


def github_user(id: int, login: str, email: str | None, *, verified: bool = True, name: str = "") -> GitHubUser:
    """A user whose primary address is `email` (None: no address shared)."""
    emails = [{"email": email, "primary": True, "verified": verified, "visibility": "private"}] if email else []
    return GitHubUser(id=id, login=login, name=name, emails=emails)


@dataclass
class Grant:
    user: GitHubUser
    redirect_uri: str
    state: str
    code_challenge: str
    used: bool = False


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class FakeGitHub:
    def __init__(self, client_id: str, client_secret: str, redirect_uri: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri  # the app's registered callback URL
        self.base_url = ""  # set by whoever serves `app`
        self.approving: GitHubUser | None = None  # who clicks "Authorize" on github.com
        self.deny = False
        self.grants: dict[str, Grant] = {}
        self.tokens: dict[str, GitHubUser] = {}
        self.token_requests: list[dict[str, Any]] = []  # what the client sent, for assertions
        self.app = Starlette(routes=[
            Route("/login/oauth/authorize", self.authorize, methods=["GET"]),
            Route("/login/oauth/access_token", self.access_token, methods=["POST"]),
            Route("/user", self.user, methods=["GET"]),
            Route("/user/emails", self.user_emails, methods=["GET"]),
        ])

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != self.client_id:
            return PlainTextResponse("Not Found", 404)
        if q.get("redirect_uri", self.redirect_uri) != self.redirect_uri:
            return PlainTextResponse("The redirect_uri is not associated with this application.", 400)
        if q.get("response_type", "code") != "code" or q.get("code_challenge_method") != "S256" \
                or not q.get("code_challenge"):
            return PlainTextResponse("PKCE with S256 is required by this fake.", 400)
        state = q.get("state", "")
        if self.deny:
            return self._back(error="access_denied", state=state,
                              error_description="The user has denied your application access.")
        if self.approving is None:
            return PlainTextResponse("No GitHub user is set to approve.", 500)
        code = secrets.token_hex(10)
        self.grants[code] = Grant(self.approving, self.redirect_uri, state, q["code_challenge"])
        return self._back(code=code, state=state)

    def _back(self, **params: str) -> Response:
        return RedirectResponse(f"{self.redirect_uri}?{urlencode(params)}", status_code=302)

    async def access_token(self, request: Request) -> Response:
        form = dict(await request.form())
        self.token_requests.append({"form": form, "authorization": request.headers.get("authorization")})
        as_json = "application/json" in request.headers.get("accept", "")

        def answer(body: dict[str, str]) -> Response:
            if as_json:
                return JSONResponse(body)
            return Response(urlencode(body), media_type="application/x-www-form-urlencoded")

        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return answer({"error": "incorrect_client_credentials",
                           "error_description": "The client_id and/or client_secret passed are incorrect."})
        grant = self.grants.get(form.get("code", ""))
        verifier = form.get("code_verifier", "")
        if (grant is None or grant.used or form.get("redirect_uri", grant.redirect_uri) != grant.redirect_uri
                or s256(verifier) != grant.code_challenge):
            return answer({"error": "bad_verification_code",
                           "error_description": "The code passed is incorrect or expired."})
        grant.used = True
        token = "gho_" + secrets.token_urlsafe(27)
        self.tokens[token] = grant.user
        return answer({"access_token": token, "token_type": "bearer", "scope": "read:user,user:email"})

    def _bearer(self, request: Request) -> GitHubUser | None:
        kind, _, token = request.headers.get("authorization", "").partition(" ")
        return self.tokens.get(token) if kind.lower() in ("bearer", "token") else None

    async def user(self, request: Request) -> Response:
        who = self._bearer(request)
        if who is None:
            return JSONResponse({"message": "Bad credentials", "status": "401"}, 401)
        return JSONResponse({"id": who.id, "login": who.login, "name": who.name or None,
                             "avatar_url": who.avatar_url})

    async def user_emails(self, request: Request) -> Response:
        who = self._bearer(request)
        if who is None:
            return JSONResponse({"message": "Bad credentials", "status": "401"}, 401)
        return JSONResponse(who.emails)
