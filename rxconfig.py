import os

import reflex as rx

from palett.build_shaping import BuildShapingPlugin
from palett.services.common.origins import trusted_origins
from palett.settings import get_settings

_settings = get_settings()

# palett.services.common.db owns the database engine and alembic/ owns migrations; Reflex's
# own db helpers are not used. REDIS_URL puts Reflex state in Redis (several workers).
config = rx.Config(
    app_name="palett",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    frontend_port=_settings.listen_port,
    backend_port=int(os.environ.get("PALETT_BACKEND_PORT", "8000")),
    redis_url=os.environ.get("REDIS_URL") or None,
    # Credentialed CORS and the /_event websocket only for PUBLIC_URL's origin and ALLOWED_ORIGINS
    # (Reflex's default "*" reflects any origin); palett.api.origin_guard refuses the rest with 403.
    cors_allowed_origins=sorted(trusted_origins(_settings)),
    disable_plugins=[rx.plugins.SitemapPlugin],
    plugins=[
        BuildShapingPlugin(),  # fewer JS chunks per page, prerendered dynamic pages (palett/build_shaping.py)
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(
                appearance="inherit",
                accent_color="violet",
                gray_color="slate",
                radius="large",
                scaling="100%",
                panel_background="solid",
            )
        )
    ],
)
