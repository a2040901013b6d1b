"""Library downloads and share links over HTTP.

Signed-in routes (/api/library/...) read the session cookie on every request: signed out is 401, and an id
that is missing or someone else's is 404 with the same body, so nobody learns what exists. Share routes
(/api/share/{token}...) need no session and serve an image only while it is public.

    GET /api/library/images/{id}/view[?size=thumb|display]       one image: a redirect to its signed URL
    GET /api/library/images/{id}/download?format=png|jpeg|webp   one image, converted
    GET /api/library/download.zip?ids=1,2,3                      a zip of selected images (at most 500)
    GET /api/library/export                                      "download my data": images + JSON
    GET /api/library/usage.csv?operation=&status=&date_from=&date_to=
    GET /api/share/{token}                                       a small page with Open Graph tags
    GET /api/share/{token}/image[?size=thumb|display]            the public image itself
"""

from __future__ import annotations

import html
import logging
from datetime import date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse

from palett.api.web import current
from palett.services.common.db import session_scope
from palett.services.common.errors import UserError, message_for
from palett.services.library import gallery, ownership, usage
from palett.services.media import renditions
from palett.services.media.storage import MediaNotFound, content_disposition, get_storage
from palett.settings import get_settings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/library")
share_router = APIRouter(prefix="/api/share")

_NO_STORE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


def _error(code: str, status: int) -> JSONResponse:
    return JSONResponse({"error": code, "message": message_for(code)}, status_code=status, headers=_NO_STORE)


def _not_found() -> Response:
    return _error("image_not_found", 404)


def _user_id(request: Request) -> int | None:
    with session_scope() as db:
        found = current(db, request)
        return found[1].id if found else None


def _attachment(filename: str) -> dict[str, str]:
    return {**_NO_STORE, "Content-Disposition": content_disposition(filename)}


@router.get("/images/{image_id}/view")
def view_image(image_id: int, request: Request, size: str = "full") -> Response:
    """A redirect to the image's short-lived signed URL (`size`: thumb, display, else the original).

    A page can name the picture by its id alone: the image page renders it, and its HTML preloads it, before
    the page has any state (the signed URLs come with the socket's first answer, a round trip later).
    """
    with session_scope() as db:
        found = current(db, request)
        if found is None:
            return _error("signed_out", 401)
        try:
            img = ownership.owned_image(db, user_id=found[1].id or 0, image_id=image_id)
        except UserError:
            return _not_found()
        key = renditions.key_for_size(img, size)
    signed = get_storage().url(key, get_settings().media_url_seconds)
    # Never cached: the browser's cache is keyed by URL, not by who is signed in, so the next person in the
    # same browser would be sent to the previous one's picture.
    return RedirectResponse(signed, status_code=302, headers=_NO_STORE)


@router.get("/images/{image_id}/download")
def download_image(image_id: int, request: Request, format: str = "png") -> Response:
    user_id = _user_id(request)
    if user_id is None:
        return _error("signed_out", 401)
    try:
        with session_scope() as db:
            converted = gallery.convert(db, user_id, image_id, format.lower())
    except UserError as err:
        return _error(err.code, 404 if err.code == "image_not_found" else 400)
    return Response(converted.data, media_type=converted.media_type,
                    headers=_attachment(converted.filename))


@router.get("/download.zip")
def download_zip(request: Request, ids: str = "") -> Response:
    user_id = _user_id(request)
    if user_id is None:
        return _error("signed_out", 401)
    try:
        wanted = [int(part) for part in ids.split(",") if part.strip()]
    except ValueError:
        return _error("image_not_found", 404)
    try:
        with session_scope() as db:
            archive = gallery.zip_images(db, user_id, wanted)
    except UserError as err:
        return _error(err.code, 404 if err.code == "image_not_found" else 400)
    headers = {**_attachment(archive.filename), "Content-Length": str(archive.size)}
    return StreamingResponse(archive.chunks(), media_type="application/zip", headers=headers)


@router.get("/export")
def export(request: Request) -> Response:
    user_id = _user_id(request)
    if user_id is None:
        return _error("signed_out", 401)
    with session_scope() as db:
        archive = gallery.export_data(db, user_id)
    log.info("data export for user %s: %s images, %s bytes", user_id, archive.count, archive.size)
    headers = {**_attachment(archive.filename), "Content-Length": str(archive.size)}
    return StreamingResponse(archive.chunks(), media_type="application/zip", headers=headers)


@router.get("/usage.csv")
def usage_csv(request: Request, operation: str = "", status: str = "", date_from: date | None = None,
              date_to: date | None = None) -> Response:
    user_id = _user_id(request)
    if user_id is None:
        return _error("signed_out", 401)
    with session_scope() as db:
        text = usage.export_csv(db, user_id, operation=operation or None, status=status or None,
                                date_from=date_from, date_to=date_to)
    return Response(text, media_type="text/csv; charset=utf-8", headers=_attachment("palett-usage.csv"))


# ---- public share links -----------------------------------------------------------------------------------


@share_router.get("/{token}/image")
def share_image(token: str, size: str = "full") -> Response:
    """The image behind a share link while it is public (also what link previews fetch); `size` picks the
    thumbnail or the display rendition (the original when there is none)."""
    with session_scope() as db:
        img = gallery.public_image(db, token)
        key = None if img is None else renditions.key_for_size(img, size)
    if key is None:
        return Response("Not found", status_code=404, media_type="text/plain", headers=_NO_STORE)
    try:
        data = get_storage().get(key)
    except MediaNotFound:
        return Response("Not found", status_code=404, media_type="text/plain", headers=_NO_STORE)
    media_type = {"png": "image/png", "webp": "image/webp", "jpg": "image/jpeg", "jpeg": "image/jpeg"}.get(
        key.rsplit(".", 1)[-1], "application/octet-stream")
    # Short public caching: making the image private again takes effect within minutes everywhere.
    return Response(data, media_type=media_type,
                     headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"})


@share_router.get("/{token}")
def share_page(token: str) -> Response:
    """A small public page with Open Graph/Twitter tags, for link previews and signed-out visitors."""
    with session_scope() as db:
        public = gallery.by_share_token(db, token)
    base = get_settings().public_url.rstrip("/")
    if public is None:
        return HTMLResponse(_share_html(base, "This image isn't shared · Palett AI", "", _NOT_SHARED.format(base=base)),
                            status_code=404, headers={**_NO_STORE, "Content-Security-Policy": _SHARE_CSP})
    image = f"{base}/api/share/{token}/image"
    page = f"{base}/api/share/{token}"
    e = html.escape
    meta = f"""<meta name="description" content="{e(public.og_description)}">
<meta property="og:type" content="website"><meta property="og:site_name" content="Palett AI">
<meta property="og:title" content="{e(public.og_title)}">
<meta property="og:description" content="{e(public.og_description)}">
<meta property="og:url" content="{e(page)}"><meta property="og:image" content="{e(image)}">
<meta property="og:image:width" content="{public.width}"><meta property="og:image:height" content="{public.height}">
<meta property="og:image:alt" content="{e(public.og_title)}">
<meta name="twitter:card" content="summary_large_image"><meta name="robots" content="noindex">"""
    facts = [public.operation_label, public.model_label, _day(public.created)]
    if public.likes:
        facts.append(f"{public.likes} like{'' if public.likes == 1 else 's'}")
    chips = "".join(f"<li>{e(fact)}</li>" for fact in facts if fact)
    negative = (f'<p class="neg"><span>Negative prompt</span> {e(public.negative_prompt)}</p>'
                if public.negative_prompt else "")
    prompt = (f'<blockquote>{e(public.prompt)}</blockquote>' if public.prompt
              else f"<p class=\"muted\">{e(public.operation_label)}"
                   f"{'' if public.prompt_public else ' · the author keeps the prompt to themselves'}</p>")
    author = f'<p class="by">By <a href="{e(base + public.profile)}">{e(public.author_name)}</a></p>'
    remix = f'<a class="button" href="{e(base)}/studio?remix={e(token)}">Remix</a>'

    body = f"""<main>
<figure><a href="{e(image)}" title="Open the full-size image"><img src="{e(image)}?size=display"
 alt="{e(public.og_title)}" width="{public.width}" height="{public.height}"></a>
<figcaption>{author}{prompt}{negative}<ul class="chips">{chips}</ul>
<div class="buttons remix">{remix}</div></figcaption></figure>
<section class="cta"><div><h2>Make your own</h2><p>FLUX, Nano Banana, Ideogram and more, plus background removal,
upscaling to 4K and inpainting, in one studio.</p></div>
<div class="buttons"><a class="button" href="{e(base)}/signup">Start free</a>
<a class="button soft" href="{e(base)}/explore">Explore more images</a></div></section>
</main>"""
    return HTMLResponse(_share_html(base, f"{public.og_title} · Palett AI", meta, body),
                        headers={"Cache-Control": "public, max-age=300", "Content-Security-Policy": _SHARE_CSP})


_SHARE_CSP = ("default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
              "frame-ancestors 'none'")
_NOT_SHARED = """<main class="gone"><h1>This image isn't shared</h1>
<p>Its owner made it private, or the link is mistyped.</p>
<div class="buttons"><a class="button" href="{base}/explore">Explore shared images</a></div></main>"""
_LOGO = ('<svg width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="white" stroke-width="2" '
         'stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><circle cx="13.5" cy="6.5" r=".5" '
         'fill="white"/><circle cx="17.5" cy="10.5" r=".5" fill="white"/><circle cx="8.5" cy="7.5" r=".5" '
         'fill="white"/><circle cx="6.5" cy="12.5" r=".5" fill="white"/><path d="M12 2C6.5 2 2 6.5 2 12s4.5 10 '
         '10 10c.926 0 1.648-.746 1.648-1.688 0-.437-.18-.835-.437-1.125-.29-.289-.438-.652-.438-1.125a1.64 1.64 0 '
         '0 1 1.668-1.668h1.996c3.051 0 5.555-2.503 5.555-5.554C21.965 6.012 17.461 2 12 2z"/></svg>')
_SHARE_STYLE = """:root{color-scheme:light dark;--bg:#f8fafc;--panel:#fff;--text:#0f172a;--muted:#475569;--line:#e2e8f0;
--accent:#6e56cf;--accent-text:#5b3fc4;--soft:#ede9fe}
@media (prefers-color-scheme:dark){:root{--bg:#0b1120;--panel:#111827;--text:#e2e8f0;--muted:#94a3b8;
--line:#1e293b;--accent:#6e56cf;--accent-text:#c4b5fd;--soft:#2e2357}}
*{box-sizing:border-box}body{margin:0;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
background:var(--bg);color:var(--text)}a{color:var(--accent-text)}
header{max-width:1040px;margin:0 auto;padding:16px 20px;display:flex;align-items:center;justify-content:space-between}
.brand{display:flex;align-items:center;gap:8px;color:var(--text);text-decoration:none;font-weight:700;font-size:20px;
letter-spacing:-.02em}.mark{width:30px;height:30px;border-radius:9px;display:grid;place-items:center;
background:linear-gradient(135deg,#6e56cf,#3e63dd)}.ai{font-size:12px;font-weight:600;padding:1px 7px;
border-radius:999px;background:var(--soft);color:var(--accent-text)}
main{max-width:1040px;margin:0 auto;padding:4px 20px 48px}
figure{margin:0;background:var(--panel);border:1px solid var(--line);border-radius:20px;overflow:hidden;
box-shadow:0 24px 60px -32px rgba(15,23,42,.45)}
figure>a{display:block;background:repeating-conic-gradient(#94a3b822 0% 25%,transparent 0% 50%) 50%/20px 20px}
figure img{display:block;margin:0 auto;max-width:100%;max-height:78vh;width:auto;height:auto}
figcaption{padding:18px 22px 20px;border-top:1px solid var(--line)}
blockquote{margin:0 0 10px;font-size:18px;line-height:1.5;white-space:pre-wrap;word-break:break-word}
.neg{margin:0 0 10px;color:var(--muted);font-size:14px}.neg span{font-weight:600;margin-right:6px}
.muted{color:var(--muted);margin:0 0 10px}.by{margin:0 0 8px;font-size:14px;color:var(--muted)}
.remix{margin-top:14px}
.chips{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:6px}
.chips li{font-size:13px;padding:3px 10px;border-radius:999px;background:var(--soft);color:var(--accent-text)}
.cta{margin-top:22px;display:flex;flex-wrap:wrap;gap:16px;align-items:center;justify-content:space-between;
padding:20px 22px;border-radius:20px;border:1px solid var(--line);background:var(--panel)}
.cta h2{margin:0 0 4px;font-size:18px}.cta p{margin:0;color:var(--muted);max-width:520px;font-size:15px}
.buttons{display:flex;gap:10px;flex-wrap:wrap}
.button{display:inline-block;padding:10px 16px;border-radius:10px;background:var(--accent);color:#fff;
text-decoration:none;font-weight:600}.button.soft{background:var(--soft);color:var(--accent-text)}
.button:focus-visible,a:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
.gone{text-align:center;padding-top:12vh}.gone .buttons{justify-content:center}
footer{max-width:1040px;margin:0 auto;padding:0 20px 32px;color:var(--muted);font-size:13px}"""


def _share_html(base: str, title: str, meta: str, body: str) -> str:
    e = html.escape
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title>
{meta}
<style>{_SHARE_STYLE}</style>
</head><body>
<header><a class="brand" href="{e(base)}/" aria-label="Palett AI home"><span class="mark">{_LOGO}</span>Palett
<span class="ai">AI</span></a><a href="{e(base)}/signin">Sign in</a></header>
{body}
<footer>Shared from Palett AI. Made with care by a small team.</footer>
</body></html>"""


def _day(iso: str) -> str:
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return ""
    return f"{moment.day} {moment:%b %Y}"
