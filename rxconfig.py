import os

import reflex as rx

from palett.vite_chunks import ViteChunksPlugin

# palett.services.db owns the database engine and alembic/ owns migrations; Reflex's
# own db helpers are not used. REDIS_URL puts Reflex state in Redis (several workers).
config = rx.Config(
    app_name="palett",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    frontend_port=int(os.environ.get("PALETT_PORT", "3000")),
    backend_port=int(os.environ.get("PALETT_BACKEND_PORT", "8000")),
    redis_url=os.environ.get("REDIS_URL") or None,
    disable_plugins=[rx.plugins.SitemapPlugin],
    plugins=[
        ViteChunksPlugin(),  # fewer JS chunks per page (palett/vite_chunks.py)
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
