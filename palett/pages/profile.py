"""The profile: picture, display name, studio defaults and a copy of everything you made."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from palett.components.forms import link_button
from palett.components.layout import page
from palett.pages.settings import section
from palett.services.generation.catalog import SizeChoice
from palett.state.profile import ProfileState
from palett.state.session import SessionState
from palett.state.studio_defaults import StudioDefaults

S = ProfileState
D = StudioDefaults


def avatar_section() -> rx.Component:
    return section(
        "Picture",
        "Shown in the top bar. JPEG, PNG or WebP; we crop it to a square and keep no metadata.",
        rx.hstack(
            rx.avatar(src=SessionState.user_image, fallback=SessionState.initials, size="7", radius="full",
                      id="profile-avatar"),
            rx.vstack(
                rx.el.label(
                    rx.el.input(type="file", id="avatar-input", accept="image/jpeg,image/png,image/webp,image/avif",
                                class_name="visually-hidden"),
                    rx.icon("upload", size=16), "Upload a picture",
                    html_for="avatar-input", tab_index=0, id="avatar-pick", class_name="file-button",
                    custom_attrs={"data-file-input": "avatar-input"},
                ),
                rx.cond(S.has_own_avatar | (SessionState.user_image != ""),
                        rx.button("Remove picture", on_click=S.remove_avatar, variant="ghost", color_scheme="gray",
                                  size="2", id="remove-avatar")),
                rx.cond(S.avatar_busy, rx.hstack(rx.spinner(size="2"), rx.text("Uploading…", size="2"))),
                rx.cond(S.avatar_error != "", rx.text(S.avatar_error, color_scheme="red", size="2", role="alert",
                                                      id="avatar-error")),
                spacing="2",
                align="start",
            ),
            spacing="5",
            align="center",
            wrap="wrap",
        ),
    )


def name_section() -> rx.Component:
    return section(
        "Display name",
        "How Palett greets you, and the name on your public page once you share an image.",
        rx.el.label("Display name", html_for="display-name", class_name="field-label"),
        rx.hstack(
            rx.input(id="display-name", value=S.name_draft, on_change=S.set_name_draft, max_length=80, size="3",
                     flex="1", auto_complete="name"),
            rx.button("Save", on_click=S.save_name, size="3", id="save-name"),
            width="100%",
        ),
        rx.cond(S.saved != "", rx.text(S.saved, color_scheme="green", size="2", role="status")),
        rx.link(rx.icon("user_round", size=14), " See your public page", href=S.public_page, size="2",
                id="public-page-link"),
        rx.cond(S.problem != "", rx.text(S.problem, color_scheme="red", size="2", role="alert")),
    )


def size_item(s: ObjectVar[SizeChoice]) -> rx.Component:
    return rx.select.item(s.label, value=s.value)


def defaults_section() -> rx.Component:
    return section(
        "Studio defaults",
        "What a new studio form starts with. Saved in this browser.",
        rx.el.label("Default model", html_for="default-model", class_name="field-label"),
        rx.select.root(
            rx.select.trigger(id="default-model", width="100%", aria_label="Default model"),
            rx.select.content(
                rx.select.item("Best available (automatic)", value="auto"),
                rx.foreach(D.models, lambda m: rx.select.item(
                    rx.cond(m["available"], m["label"], m["label"] + " — " + m["reason"]), value=m["key"],
                    disabled=~m["available"])),
            ),
            value=D.model_value, on_change=D.set_default_model, size="3",
        ),
        rx.el.label("Default size", html_for="default-size", class_name="field-label"),
        rx.select.root(
            rx.select.trigger(id="default-size", width="100%", aria_label="Default size"),
            rx.select.content(rx.select.item("The model's default", value="auto"), rx.foreach(D.sizes, size_item)),
            value=D.size_value, on_change=D.set_default_size, size="3", disabled=D.sizes.length() == 0,
        ),
        rx.cond(D.sizes.length() == 0, rx.text("Pick a model first: sizes depend on it.", size="1",
                                               color_scheme="gray")),
    )


def data_section() -> rx.Component:
    return section(
        "Your data",
        "A zip of every image you made or uploaded, with a JSON file of their recipes, your collections, jobs and "
        "credit history.",
        link_button(rx.icon("archive", size=16), "Download my data", href="/api/library/export", download=True,
                    variant="soft", size="3", id="export-data"),
        rx.text("Large libraries take a moment to pack.", size="1", color_scheme="gray"),
    )


def profile_page() -> rx.Component:
    return page(
        rx.el.button("", id="avatar-busy", on_click=S.avatar_started, class_name="visually-hidden", tab_index=-1,
                     aria_hidden="true", type="button"),
        rx.el.button("", id="avatar-done", class_name="visually-hidden", tab_index=-1, aria_hidden="true",
                     type="button", on_click=rx.call_script("window.__palettAvatar", callback=S.avatar_finished)),
        rx.vstack(
            rx.hstack(rx.heading("Profile", size="7", as_="h1"), rx.spacer(),
                      link_button(rx.icon("settings", size=16), "Account settings", href="/settings", variant="soft",
                                  size="2"),
                      width="100%", align="center"),
            avatar_section(),
            name_section(),
            defaults_section(),
            data_section(),
            spacing="4",
            padding_y="40px",
            width="100%",
        ),
        width="920px",
    )


ON_LOAD = [ProfileState.load_profile]
