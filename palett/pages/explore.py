"""Explore: what people chose to share, newest or most liked. Works signed out; liking needs an account."""

from __future__ import annotations

import reflex as rx

from palett.components.forms import link_button
from palett.components.layout import page
from palett.components.library import empty_state, feed_bottom, feed_top
from palett.components.lightbox import lightbox, visitor_actions
from palett.state.explore import ExploreLightbox, ExploreState, ExploreTile, FeedLightbox, PublicFeed

S = ExploreState


def like_control(S: type[PublicFeed], t: ExploreTile) -> rx.Component:
    count = rx.text(t["likes"].to_string(), size="1", class_name="like-count")
    return rx.cond(
        S.signed_in,
        rx.el.button(
            rx.icon("heart", size=16, fill=rx.cond(t["liked"], "currentColor", "none")), count,
            on_click=S.toggle_like(t["id"]), type="button",
            aria_pressed=rx.cond(t["liked"], "true", "false"),
            aria_label=rx.cond(t["liked"], "Unlike", "Like") + " (" + t["likes"].to_string() + " likes)",
            class_name=rx.cond(t["liked"], "like-button on", "like-button"),
        ),
        rx.el.a(rx.icon("heart", size=16), count, href="/signin", class_name="like-button",
                aria_label="Sign in to like (" + t["likes"].to_string() + " likes)", title="Sign in to like"),
    )


def public_tile(S: type[PublicFeed], L: type[FeedLightbox], t: ExploreTile, with_author: bool = True
                ) -> rx.Component:
    """A public picture in a feed (explore, a profile): a click opens the lightbox, the link is its share page."""
    return rx.box(
        # The share page is served by the API, not the app's router: a full page load when followed.
        rx.el.a(rx.image(src=t["thumb"], alt=t["alt"], loading="lazy", class_name="gallery-thumb"),
                href=t["href"], class_name="gallery-open", aria_label="Open " + t["alt"], reload_document=True,
                on_click=[rx.prevent_default, L.open_lightbox(t["id"])],
                custom_attrs={"data-lightbox-tile": t["id"].to_string()}),
        rx.box(
            rx.text(rx.cond(t["prompt"] != "", t["prompt"], "Prompt not shown"), size="1",
                    class_name=rx.cond(t["prompt"] != "", "explore-prompt", "explore-prompt hidden-prompt")),
            *([rx.link(t["author_name"], href=t["profile"], size="1", class_name="explore-author")]
              if with_author else []),
            rx.hstack(rx.text(t["model_label"], size="1", color_scheme="gray", class_name="explore-model"),
                      rx.spacer(), like_control(S, t), align="center", width="100%"),
            class_name="explore-caption",
        ),
        class_name="explore-tile",
        role="listitem",
    )


def public_lightbox(S: type[PublicFeed], L: type[FeedLightbox]) -> rx.Component:
    return lightbox(L, lambda item: visitor_actions(S, item))


def explore_page() -> rx.Component:
    return page(
        rx.vstack(
            rx.hstack(
                rx.vstack(
                    rx.heading("Explore", size="7", as_="h1"),
                    rx.text("Images people made with Palett and chose to share.", size="2", color_scheme="gray"),
                    spacing="1",
                ),
                rx.spacer(),
                rx.segmented_control.root(
                    rx.segmented_control.item("Newest", value="newest"),
                    rx.segmented_control.item("Most liked", value="most_liked"),
                    value=S.sort, on_change=S.set_sort, aria_label="Sort", id="explore-sort",
                ),
                width="100%",
                align="end",
                wrap="wrap",
            ),
            rx.cond(S.problem != "", rx.callout(S.problem, icon="circle_alert", color_scheme="red", role="alert")),
            rx.cond(
                ~S.loaded,
                rx.center(rx.spinner(size="3"), padding="64px", width="100%"),
                rx.cond(
                    S.rows.length() > 0,
                    rx.vstack(
                        feed_top(S),
                        rx.el.div(rx.foreach(S.rows, lambda t: public_tile(S, ExploreLightbox, t)),
                                  class_name="explore-grid", id="explore-grid", role="list",
                                  aria_label="Shared images"),
                        feed_bottom(S, "explore-more", "You've seen everything shared so far."),
                        public_lightbox(S, ExploreLightbox),
                        width="100%",
                        spacing="3",
                    ),
                    empty_state("globe", "Nothing shared yet",
                                "Open one of your images and switch it to Public: it gets a share link and shows up "
                                "here.",
                                rx.cond(S.signed_in,
                                        link_button(rx.icon("images", size=16), "Go to your gallery", href="/gallery",
                                                    size="3"),
                                        link_button("Create a free account", href="/signup", size="3")),
                                id="explore-empty"),
                ),
            ),
            spacing="4",
            padding_y="28px",
            width="100%",
        ),
        width="1280px",  # the width of the header and footer, so the page lines up with them
    )


ON_LOAD = [ExploreState.load_explore]
