"""Developers: API keys (create, shown once, revoke) and how to call the public API, with examples that run
against a local `make run`."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from palett.components.layout import page
from palett.pages.developers_webhooks import webhooks_section
from palett.pages.settings import section
from palett.state.developers import DevelopersState, KeyRow
from palett.state.webhooks import WebhooksState

SCOPES = (
    ("generate", "Generate", "start generations and edits, upload images"),
    ("read", "Read", "list models, generations and images"),
    ("delete", "Delete", "cancel generations"),
)

CURL = """# Text to image: 202 with the generation's id (an Idempotency-Key makes retries safe)
curl -s "$BASE/generations" -H "Authorization: Bearer $KEY" \\
     -H "Content-Type: application/json" -H "Idempotency-Key: harbour-1" \\
     -d '{"model": "local-preview", "prompt": "a quiet harbour", "size": "square"}'

# Poll until status is succeeded, failed or cancelled; images carry signed, expiring URLs
curl -s "$BASE/generations/1" -H "Authorization: Bearer $KEY"

# An edit with an upload: upload the file, then pass its id as image_id
curl -s "$BASE/uploads" -H "Authorization: Bearer $KEY" -F "file=@photo.jpg"
curl -s "$BASE/generations" -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \\
     -d '{"model": "local-lanczos", "image_id": 2, "mode": "2x"}'

# Cancel: the reserved credits come back
curl -s -X DELETE "$BASE/generations/1" -H "Authorization: Bearer $KEY"

# Models, settings and credit costs; your images; your credits and limits
curl -s "$BASE/models" -H "Authorization: Bearer $KEY"
curl -s "$BASE/images?limit=20" -H "Authorization: Bearer $KEY"
curl -s "$BASE/me" -H "Authorization: Bearer $KEY"
"""

PYTHON = """import os, time
import httpx

api = httpx.Client(base_url=os.environ["BASE"], timeout=30,
                   headers={"Authorization": f"Bearer {os.environ['KEY']}"})

# Text to image, then poll
job = api.post("/generations", json={"model": "local-preview", "prompt": "a quiet harbour"}).json()
while (gen := api.get(f"/generations/{job['id']}").json())["status"] in ("queued", "running"):
    time.sleep(1)
for image in gen["images"]:
    with open(f"palett-{image['id']}.png", "wb") as out:
        out.write(httpx.get(image["url"]).content)

# An edit with an upload, cancelled straight away
with open("photo.jpg", "rb") as photo:
    upload = api.post("/uploads", files={"file": photo}).json()
edit = api.post("/generations", json={"model": "local-lanczos", "image_id": upload["id"], "mode": "2x"}).json()
api.delete(f"/generations/{edit['id']}")
"""


def scope_checkbox(scope: str, label: str, hint: str) -> rx.Component:
    checked = getattr(DevelopersState, f"scope_{scope}")
    return rx.hstack(
        rx.checkbox(id=f"scope-{scope}", checked=checked,
                    on_change=lambda on: DevelopersState.set_scope(scope, on)),  # type: ignore[call-arg]
        rx.el.label(rx.text(label, weight="medium", as_="span"), rx.text(" — " + hint, color_scheme="gray",
                                                                         as_="span"),
                    html_for=f"scope-{scope}"),
        align="center",
        spacing="2",
    )


def create_form() -> rx.Component:
    return rx.vstack(
        rx.el.label("Key name", html_for="key-name", class_name="field-label"),
        rx.input(id="key-name", value=DevelopersState.key_name, on_change=DevelopersState.set_key_name,
                 max_length=80, placeholder="e.g. my laptop", size="3", width="100%", auto_complete="off"),
        rx.el.fieldset(
            rx.el.legend("Scopes", class_name="field-label"),
            rx.vstack(*[scope_checkbox(*scope) for scope in SCOPES], spacing="2"),
            class_name="plain-fieldset",
        ),
        rx.cond(DevelopersState.problem != "",
                rx.text(DevelopersState.problem, color_scheme="red", size="2", role="alert", id="key-problem")),
        rx.hstack(
            rx.button(rx.icon("key_round", size=16), "Create key", on_click=DevelopersState.create_key, size="3",
                      id="create-key"),
            rx.text(DevelopersState.active_count, " of ", DevelopersState.max_keys, " active keys",
                    size="2", color_scheme="gray"),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        spacing="3",
        width="100%",
    )


def new_secret() -> rx.Component:
    return rx.cond(
        DevelopersState.new_secret != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("triangle_alert")),
            rx.vstack(
                rx.text("Copy your new key now: you won't see it again.", weight="bold", size="3"),
                rx.text("We keep only a fingerprint of it. If you lose it, revoke it and make another.", size="2"),
                rx.el.code(DevelopersState.new_secret, id="new-key-secret", tab_index=0, class_name="secret-key",
                           aria_label="Your new API key"),
                rx.hstack(
                    rx.button(rx.icon("copy", size=16), "Copy key", on_click=DevelopersState.copy_secret,
                              id="copy-key"),
                    rx.button("Done, I've saved it", on_click=DevelopersState.dismiss_secret, variant="soft",
                              color_scheme="gray", id="dismiss-key"),
                    spacing="3",
                    wrap="wrap",
                ),
                spacing="2",
                width="100%",
            ),
            color_scheme="amber",
            role="status",
            width="100%",
            id="new-key",
        ),
    )


def revoke_button(row: ObjectVar[KeyRow]) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button("Revoke", variant="soft", color_scheme="red", class_name="revoke-key",
                                          aria_label="Revoke key " + row["name"])),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Revoke " + row["name"] + "?"),
            rx.alert_dialog.description("Requests with " + row["prefix"] + "… stop working at once. Generations "
                                        "it already started still finish.", size="2"),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button("Revoke key", color_scheme="red", id="confirm-revoke-key",
                                                 on_click=DevelopersState.revoke_key(row["id"]))),
                spacing="3", justify="end", padding_top="16px",
            ),
            max_width="440px",
        ),
    )


def key_row(row: ObjectVar[KeyRow]) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.hstack(
                rx.text(row["name"], weight="medium"),
                rx.el.code(row["prefix"] + "…", class_name="key-prefix"),
                rx.cond(row["revoked"] != "", rx.badge("Revoked", color_scheme="gray"),
                        rx.badge("Active", color_scheme="green")),
                align="center", spacing="2", wrap="wrap",
            ),
            rx.hstack(rx.foreach(row["scopes"], lambda s: rx.badge(s, variant="outline")), spacing="1",
                      aria_label="Scopes"),
            rx.text("Created ", row["created"], " · last used ", row["last_used"],
                    rx.cond(row["revoked"] != "", " · revoked " + row["revoked"], ""),
                    size="1", color_scheme="gray"),
            spacing="1",
            flex="1 1 260px",
        ),
        rx.cond(row["revoked"] == "", revoke_button(row)),
        align="center",
        gap="12px",
        wrap="wrap",
        width="100%",
        class_name="key-row",
    )


def keys() -> rx.Component:
    return section(
        "API keys",
        "A key acts as you: it spends your credits under your plan's limits. Give each app its own key with "
        "only the scopes it needs.",
        create_form(),
        new_secret(),
        rx.separator(size="4"),
        rx.cond(DevelopersState.keys.length() > 0,
                rx.vstack(rx.foreach(DevelopersState.keys, key_row), spacing="4", width="100%", id="key-list"),
                rx.text("No keys yet.", size="2", color_scheme="gray")),
    )


def code(text: rx.Var | str, label: str) -> rx.Component:
    return rx.el.pre(rx.el.code(text), class_name="code-block", tab_index=0, aria_label=label)


def docs() -> rx.Component:
    """Full width, so commands keep their lines (a long one scrolls inside its focusable block)."""
    setup = "BASE=" + DevelopersState.api_base + "\nKEY=plt_…   # a key from above\n\n"
    return rx.card(
        rx.vstack(
            rx.heading("Using the API", size="4", as_="h2"),
            rx.text("Send your key as a bearer token. Errors are application/problem+json with a stable type; "
                    "every POST takes an Idempotency-Key, so a retry never makes a second job.", size="2",
                    color_scheme="gray"),
            rx.flex(
                rx.vstack(rx.text("Base URL", class_name="field-label"), rx.el.code(DevelopersState.api_base,
                                                                                    id="api-base"), spacing="1"),
                rx.vstack(rx.text("Header", class_name="field-label"), rx.el.code("Authorization: Bearer plt_…"),
                          spacing="1"),
                gap="24px",
                wrap="wrap",
            ),
            rx.heading("curl", size="3", as_="h3"),
            code(setup + CURL, "curl examples"),
            rx.heading("Python (httpx)", size="3", as_="h3"),
            code(PYTHON, "Python example"),
            rx.text("A complete client that submits, polls and downloads is in examples/palett_client.py.",
                    size="2"),
            rx.link(rx.hstack(rx.icon("file_json", size=16), rx.text("OpenAPI schema (openapi.json)"),
                              align="center", spacing="1"),
                    href="/api/v1/openapi.json", id="openapi-link"),
            rx.text("Every endpoint, field and error is in the schema: open it in any OpenAPI viewer you run "
                    "locally (this server serves no docs UI that loads scripts from the internet).", size="2",
                    color_scheme="gray"),
            spacing="3",
            width="100%",
        ),
        size="3",
        width="100%",
    )


def developers_page() -> rx.Component:
    return page(
        rx.vstack(
            rx.heading("Developers", size="7", as_="h1"),
            rx.text("Make and edit images from your own code with the models, credits and limits of the studio.",
                    color_scheme="gray"),
            keys(),
            webhooks_section(),
            docs(),
            spacing="4",
            padding_y="40px",
            width="100%",
        ),
        width="920px",
    )


ON_LOAD = [DevelopersState.load, WebhooksState.load_webhooks]
