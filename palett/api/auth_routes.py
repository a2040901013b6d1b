"""Sign-up, sign-in, sign-out, e-mail verification and password reset.

Plain HTML form posts answered with 303: passwords never travel over the websocket,
and the redirect opens a fresh websocket that carries the new cookie.
"""

from __future__ import annotations

from contextlib import suppress

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from palett.api.cookies import clear_session_cookie, set_session_cookie
from palett.api.web import check_origin, client_ip, current, error_redirect, redirect
from palett.services.accounts import sessions
from palett.services.accounts import users as accounts
from palett.services.accounts.return_path import return_to, safe_next
from palett.services.common import metrics
from palett.services.common.db import session_scope
from palett.services.common.errors import UserError

router = APIRouter(prefix="/api/auth", dependencies=[Depends(check_origin)])


def sign_in_response(user_id: int, request: Request, path: str = "/app") -> RedirectResponse:
    with session_scope() as db:
        token = sessions.create(db, user_id, user_agent=request.headers.get("user-agent", ""),
                                ip=client_ip(request))
    response = redirect(path)
    set_session_cookie(response, token)
    return response


@router.post("/signup")
def signup(request: Request, email: str = Form(""), password: str = Form(""), name: str = Form(""),
           next: str = Form("")) -> RedirectResponse:
    back = safe_next(next)  # rides along to the verification mail and the sign-in page
    try:
        with session_scope() as db:
            accounts.sign_up(db, email=email, password=password, name=name, ip=client_ip(request), next_path=back)
    except UserError as err:
        return error_redirect("/signup", err, email=email[:254], name=name[:80], next=back)
    return redirect("/signin", notice="check_email", email=email[:254], next=back)


@router.post("/login")
def login(request: Request, email: str = Form(""), password: str = Form(""), next: str = Form("")
          ) -> RedirectResponse:
    try:
        with session_scope() as db:
            user = accounts.authenticate(db, email=email, password=password, ip=client_ip(request))
            user_id = user.id
    except UserError as err:
        metrics.SIGNIN_FAILURES.labels(reason=err.code).inc()
        if err.code == "unverified":
            with suppress(UserError), session_scope() as db:  # over the mail limit: the last link still works
                accounts.resend_verification(db, email, ip=client_ip(request), next_path=safe_next(next))
        return error_redirect("/signin", err, email=email[:254], next=safe_next(next))
    assert user_id is not None
    return sign_in_response(user_id, request, return_to(next))


@router.post("/logout")
def logout(request: Request) -> RedirectResponse:
    with session_scope() as db:
        found = current(db, request)
        if found:
            sess, user = found
            sessions.revoke(db, user_id=user.id or 0, session_id=sess.id or 0)
    response = redirect("/", notice="bye")
    clear_session_cookie(response)
    return response


@router.post("/verify")
def verify(token: str = Form(""), next: str = Form("")) -> RedirectResponse:
    try:
        with session_scope() as db:
            user = accounts.verify_email(db, token)
            email = user.email
    except UserError as err:
        return error_redirect("/verify", err, next=safe_next(next))
    return redirect("/signin", notice="verified", email=email, next=safe_next(next))


@router.post("/resend")
def resend(request: Request, email: str = Form(""), next: str = Form("")) -> RedirectResponse:
    back = safe_next(next)
    try:
        with session_scope() as db:
            accounts.resend_verification(db, email, ip=client_ip(request), next_path=back)
    except UserError as err:
        return error_redirect("/signin", err, email=email[:254], next=back)
    return redirect("/signin", notice="verify_sent", email=email[:254], next=back)


@router.post("/forgot")
def forgot(request: Request, email: str = Form("")) -> RedirectResponse:
    try:
        with session_scope() as db:
            accounts.request_reset(db, email, ip=client_ip(request))
    except UserError as err:
        return error_redirect("/forgot", err)
    return redirect("/forgot", notice="reset_sent")


@router.post("/reset")
def reset(token: str = Form(""), password: str = Form(""), confirm: str = Form("")) -> RedirectResponse:
    try:
        with session_scope() as db:
            accounts.reset_password(db, token=token, password=password, confirm=confirm)
    except UserError as err:
        keep_token = err.code in ("weak_password", "password_mismatch")  # the link is still good
        return error_redirect("/reset", err, token=token if keep_token else None)
    return redirect("/signin", notice="password_reset")
