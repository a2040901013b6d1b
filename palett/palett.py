"""The Reflex app: pages, theme, API routes."""

from __future__ import annotations

import asyncio
import logging

import reflex as rx

from palett.api import mount_api
from palett.api.slashes import serve_pages_without_redirect
from palett.pages import admin as admin_pages
from palett.pages import (
    auth,
    billing,
    dev_components,
    edit,
    explore,
    gallery,
    home,
    image,
    landing,
    outbox,
    profile,
    settings,
    studio,
    usage,
)
from palett.services import admin, allocator, dispatch
from palett.services.db import session_scope
from palett.settings import get_settings

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

allocator.limit_arenas()  # before any thread pool starts (palett/services/allocator.py)
_settings = get_settings()
if _settings.sentry_dsn:
    import sentry_sdk

    sentry_sdk.init(dsn=_settings.sentry_dsn, send_default_pii=False)

TITLE = "Palett AI"
DESCRIPTION = "Make and edit images with AI: FLUX, Imagen, Ideogram, background removal, 4K upscaling and more."

app = rx.App(
    stylesheets=["/styles.css"],
    api_transformer=[mount_api, serve_pages_without_redirect],  # the last one is outermost
    head_components=[
        rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml"),
        rx.script(src="/js/uploads.js"),
        rx.script(src="/js/library.js"),
    ],
)

app.add_page(landing.index, route="/", title=TITLE, description=DESCRIPTION, on_load=landing.ON_LOAD)
app.add_page(auth.signin, route="/signin", title=f"Sign in · {TITLE}", on_load=auth.SIGNED_OUT_ONLY)
app.add_page(auth.signup, route="/signup", title=f"Sign up · {TITLE}", on_load=auth.SIGNED_OUT_ONLY)
app.add_page(auth.forgot, route="/forgot", title=f"Forgot password · {TITLE}", on_load=auth.ON_LOAD)
app.add_page(auth.reset, route="/reset", title=f"New password · {TITLE}", on_load=auth.ON_LOAD)
app.add_page(auth.verify, route="/verify", title=f"Verify email · {TITLE}", on_load=auth.ON_LOAD)
app.add_page(studio.studio, route="/studio", title=f"Studio · {TITLE}", on_load=studio.ON_LOAD)
app.add_page(edit.editor, route="/edit", title=f"Edit · {TITLE}", on_load=edit.ON_LOAD)
app.add_page(home.home, route="/app", title=f"Home · {TITLE}", on_load=home.ON_LOAD)
app.add_page(settings.settings_page, route="/settings", title=f"Settings · {TITLE}", on_load=settings.ON_LOAD)
app.add_page(gallery.gallery_page, route="/gallery", title=f"Gallery · {TITLE}", on_load=gallery.ON_LOAD)
app.add_page(image.image_page, route="/image/[image_id]", title=f"Image · {TITLE}", on_load=image.ON_LOAD)
app.add_page(explore.explore_page, route="/explore", title=f"Explore · {TITLE}", on_load=explore.ON_LOAD,
             description="Images people made with Palett AI and chose to share.")
app.add_page(usage.usage_page, route="/usage", title=f"Usage · {TITLE}", on_load=usage.ON_LOAD)
app.add_page(profile.profile_page, route="/profile", title=f"Profile · {TITLE}", on_load=profile.ON_LOAD)
app.add_page(billing.billing_page, route="/billing", title=f"Billing · {TITLE}", on_load=billing.ON_LOAD)
app.add_page(admin_pages.admin_page, route="/admin", title=f"Admin · {TITLE}", on_load=admin_pages.ON_LOAD)
if not _settings.production:
    app.add_page(outbox.outbox_page, route="/dev/outbox", title=f"Dev outbox · {TITLE}", on_load=outbox.ON_LOAD)
    app.add_page(dev_components.dev_components_page, route="/dev/components", title=f"Dev components · {TITLE}",
                 on_load=dev_components.ON_LOAD)


async def _sync_admins() -> None:
    """Lifespan task: promote existing accounts listed in ADMIN_EMAILS (new ones get the role at sign-up)."""

    def run() -> None:
        with session_scope() as db:
            admin.sync_admins(db)

    await asyncio.to_thread(run)


app.register_lifespan_task(_sync_admins)

if _settings.dispatch == "inprocess":
    # Jobs run inside this process: resume unfinished ones at start-up, sweep stuck ones.
    app.register_lifespan_task(dispatch.runner.serve)
else:
    # Jobs run in `make worker` processes; make sure the queue's tables exist before the first defer.
    from palett import worker

    app.register_lifespan_task(worker.ensure_schema_on_start)
