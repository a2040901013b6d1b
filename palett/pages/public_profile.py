"""A person's public page: who they are, how liked their work is, and their public images in a lightbox."""

from __future__ import annotations

import reflex as rx

from palett.components.forms import link_button
from palett.components.layout import page
from palett.components.library import empty_state, feed_bottom, feed_top
from palett.pages.explore import public_lightbox, public_tile
from palett.state.public_profile import ProfileLightbox, PublicProfileState

S = PublicProfileState


def header() -> rx.Component:
    return rx.hstack(
        rx.avatar(src=S.avatar, fallback=S.initials, size="6", radius="full", alt=""),
        rx.vstack(
            rx.heading(S.name, size="7", as_="h1", id="profile-name"),
            rx.hstack(
                rx.badge(rx.icon("images", size=14), S.images_label, variant="soft", size="2", id="profile-count"),
                rx.badge(rx.icon("heart", size=14), S.likes_label, variant="soft", size="2", color_scheme="pink",
                         id="profile-likes"),
                spacing="2", wrap="wrap",
            ),
            spacing="2",
        ),
        spacing="4", align="center", width="100%",
    )


def nobody_shared() -> rx.Component:
    """No public images (or no such person): the owner learns how to fill it, anyone else where to look."""
    return rx.vstack(
        rx.heading(rx.cond(S.is_me, "Your public page", "Public page"), size="7", as_="h1"),
        rx.cond(
            S.is_me,
            empty_state("user_round", "Share an image to fill your page",
                        "Open one of your images and switch it to Public: it appears here and on Explore, and "
                        "people can like and remix it.",
                        link_button(rx.icon("images", size=16), "Go to your gallery", href="/gallery", size="3"),
                        id="profile-empty"),
            empty_state("user_round", "Nothing shared here yet",
                        "This person hasn't made any image public, or the link is mistyped. Explore has what "
                        "everyone shares.",
                        link_button(rx.icon("globe", size=16), "Explore shared images", href="/explore", size="3"),
                        id="profile-empty"),
        ),
        width="100%", spacing="4",
    )


def public_profile_page() -> rx.Component:
    return page(
        rx.vstack(
            rx.cond(S.problem != "", rx.callout(S.problem, icon="circle_alert", color_scheme="red", role="alert")),
            rx.cond(
                ~S.loaded,
                rx.center(rx.spinner(size="3"), padding="64px", width="100%"),
                rx.cond(
                    S.found & (S.public_images > 0),
                    rx.vstack(
                        header(),
                        feed_top(S),
                        rx.el.div(rx.foreach(S.rows, lambda t: public_tile(S, ProfileLightbox, t, with_author=False)),
                                  class_name="explore-grid", id="profile-grid", role="list",
                                  aria_label="Public images"),
                        feed_bottom(S, "profile-more", "That's everything they've shared."),
                        public_lightbox(S, ProfileLightbox),
                        width="100%", spacing="4",
                    ),
                    nobody_shared(),
                ),
            ),
            spacing="4",
            padding_y="28px",
            width="100%",
        ),
        width="1280px",
    )


ON_LOAD = [PublicProfileState.load_profile]
