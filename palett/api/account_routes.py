"""Account changes that carry a password or end sessions: form posts from the settings page."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from palett.api.cookies import clear_session_cookie
from palett.api.web import check_origin, current, error_redirect, redirect
from palett.services.accounts import sessions
from palett.services.accounts import users as accounts
from palett.services.common.db import session_scope
from palett.services.common.errors import UserError

router = APIRouter(prefix="/api/account", dependencies=[Depends(check_origin)])


@router.post("/password")
def change_password(request: Request, current_password: str = Form(""), password: str = Form(""),
                    confirm: str = Form("")) -> RedirectResponse:
    try:
        with session_scope() as db:
            found = current(db, request)
            if not found:
                return redirect("/signin", error="signed_out")
            sess, user = found
            accounts.change_password(db, user, current=current_password, new=password, confirm=confirm,
                                     keep_session_id=sess.id or 0)
    except UserError as err:
        return error_redirect("/settings", err)
    return redirect("/settings", notice="password_changed")


@router.post("/logout-others")
def logout_others(request: Request) -> RedirectResponse:
    with session_scope() as db:
        found = current(db, request)
        if not found:
            return redirect("/signin", error="signed_out")
        sess, user = found
        sessions.revoke_all(db, user.id or 0, except_id=sess.id)
    return redirect("/settings", notice="signed_out_all")


@router.post("/delete")
def delete(request: Request, confirmation: str = Form("")) -> RedirectResponse:
    try:
        with session_scope() as db:
            found = current(db, request)
            if not found:
                return redirect("/signin", error="signed_out")
            accounts.delete_account(db, found[1], confirmation=confirmation)
    except UserError as err:
        return error_redirect("/settings", err)
    response = redirect("/", notice="deleted")
    clear_session_cookie(response)
    return response
