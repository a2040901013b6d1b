"""The Reflex app: pages, theme, API routes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import reflex as rx

from palett.api import mount_api
from palett.api.first_screen import serve_first_screens
from palett.api.route_preload import preload_dynamic_routes
from palett.api.slashes import serve_pages_without_redirect
from palett.api.static_assets import serve_build_files_first
from palett.components.layout import SESSION_HINT_JS
from palett.pages import admin as admin_pages
from palett.pages import (
    auth,
    billing,
    developers,
    edit,
    explore,
    gallery,
    home,
    image,
    landing,
    not_found,
    profile,
    public_profile,
    settings,
    studio,
    usage,
)
from palett.services import admin
from palett.services.common import allocator, observability, origins, schema
from palett.services.common.db import session_scope
from palett.services.generation import dispatch
from palett.settings import get_settings
from palett.state import outages
from palett.state.session import SessionBinding

observability.setup("web")
allocator.limit_arenas()  # before any thread pool starts
_settings = get_settings()

if warning := origins.port_mismatch_warning(_settings, rx.config.get_config().frontend_port):
    logging.getLogger(__name__).warning(warning)

TITLE = "Palett AI"
DESCRIPTION = "Make and edit images with AI: FLUX, Nano Banana, Ideogram, background removal, 4K upscaling and more."

app = rx.App(
    stylesheets=["/styles.css"],
    # Toasts sit just under the sticky header, centred: clear of the recipe and result actions on the right.
    # dir given: sonner's default reads getComputedStyle(<html>) on every render, a forced style recalc of the
    # whole page in the middle of hydration (12 ms per image page load in a V8 profile).
    toaster=rx.toast.provider(position="top-center", offset="76px", dir="ltr"),
    backend_exception_handler=outages.handle_backend_exception,  # Redis down: "try again shortly", not a 500
    # The last one is outermost; dynamic pages are answered inside mount_api so its security headers apply,
    # build files (JS, CSS, pictures) before all of it.
    api_transformer=[preload_dynamic_routes, serve_first_screens, mount_api, serve_pages_without_redirect,
                     serve_build_files_first],
    head_components=[
        rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml"),
        # Plain <script> elements, in the prerendered HTML: rx.script goes through react-helmet, which adds the
        # tag only after hydration and updates <head> synchronously inside it (14 ms of a studio load's
        # hydration in a V8 profile).
        rx.el.script(src="/js/uploads.js", defer=True),
        rx.el.script(src="/js/library.js", defer=True),
        rx.el.script(SESSION_HINT_JS),
    ],
)
app.add_middleware(SessionBinding())  # the previous user's data never reaches the next user of a tab

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
app.add_page(public_profile.public_profile_page, route="/u/[handle]", title=f"Public page · {TITLE}",
             on_load=public_profile.ON_LOAD)
app.add_page(usage.usage_page, route="/usage", title=f"Usage · {TITLE}", on_load=usage.ON_LOAD)
app.add_page(profile.profile_page, route="/profile", title=f"Profile · {TITLE}", on_load=profile.ON_LOAD)
app.add_page(billing.billing_page, route="/billing", title=f"Billing · {TITLE}", on_load=billing.ON_LOAD)
app.add_page(developers.developers_page, route="/developers", title=f"Developers · {TITLE}",
             on_load=developers.ON_LOAD)
app.add_page(admin_pages.admin_page, route="/admin", title=f"Admin · {TITLE}", on_load=admin_pages.ON_LOAD)
# Reflex shows this page for any URL no other page matches.
app.add_page(not_found.not_found_page, route="404", title=f"Page not found · {TITLE}", on_load=not_found.ON_LOAD)
if not _settings.production:
    # Imported only here: their states would otherwise join every tab's state tree (one hash each on connect).
    from palett.pages import dev_components, outbox

    app.add_page(outbox.outbox_page, route="/dev/outbox", title=f"Dev outbox · {TITLE}", on_load=outbox.ON_LOAD)
    app.add_page(dev_components.dev_components_page, route="/dev/components", title=f"Dev components · {TITLE}",
                 on_load=dev_components.ON_LOAD)


async def _sync_admins() -> None:
    """Lifespan task: promote existing accounts listed in ADMIN_EMAILS (new ones get the role at sign-up)."""

    def run() -> None:
        with session_scope() as db:
            admin.sync_admins(db)

    await asyncio.to_thread(run)


@contextlib.asynccontextmanager
async def _require_current_schema() -> AsyncIterator[None]:
    """Lifespan: refuse to serve a database at another schema revision (migrations are `make migrate`'s job)."""
    await asyncio.to_thread(schema.require_current)
    yield


app.register_lifespan_task(_require_current_schema)
app.register_lifespan_task(_sync_admins)

# In process: resume unfinished jobs at start-up and sweep stuck ones. Worker mode: make sure the
# queue's tables exist before the first defer.
app.register_lifespan_task(dispatch.get_queue().serve)
