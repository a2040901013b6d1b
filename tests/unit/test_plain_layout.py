"""plain_layout.flatten: static Radix layout and typography components become the element Radix renders, with the
classes Radix 3.3.0 computes for the same props (helpers/extract-props.js and each component's *.props.js);
anything Radix must compute in the browser is left to it."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.components.component import Component
from reflex_components_radix.themes.typography.text import Text

from palett.components.forms import link_button
from palett.components.plain_layout import flatten


class Flags(rx.State):
    on: bool = False
    size: str = "2"
    words: list[str] = []


def rendered(component: Component) -> dict[str, Any]:
    """The element name, its class set and its other props, as Reflex will compile them."""
    out = flatten(rx.fragment(component)).render()["children"][0]  # a Link or Button is replaced in its parent
    props = dict(p.split(":", 1) for p in out["props"])
    classes = set(props.pop("className", '""').strip('"').split())
    return {"name": out["name"].strip('"'), "classes": classes, "props": props}


def test_the_mirrored_radix_version_is_the_one_reflex_installs() -> None:
    # The class names below are Radix Themes 3.3.0's; another version must be checked against its source first.
    assert Text.create("x").library == "@radix-ui/themes@3.3.0"


def test_stacks_and_flex_become_divs_with_radix_flex_classes() -> None:
    stack = rendered(rx.vstack(rx.text("a"), spacing="3", align="start", class_name="mine", width="100%"))
    assert stack["name"] == "div"
    assert stack["classes"] == {"rt-Flex", "rt-r-fd-column", "rt-r-ai-start", "rt-r-gap-3", "rx-Stack", "mine"}
    assert stack["props"]["css"] == '({ ["width"] : "100%" })'  # style props are untouched
    row = rendered(rx.flex(justify="between", wrap="wrap", direction={"initial": "column", "md": "row"}))
    assert row["classes"] == {"rt-Flex", "rt-r-jc-space-between", "rt-r-fw-wrap", "rt-r-fd-column", "md:rt-r-fd-row"}


def test_text_and_heading_take_their_element_from_as_and_their_colour_as_an_attribute() -> None:
    text = rendered(rx.text("x", as_="p", size="2", weight="bold", color_scheme="gray", high_contrast=True))
    assert text["name"] == "p"
    assert text["classes"] == {"rt-Text", "rt-r-size-2", "rt-r-weight-bold", "rt-high-contrast"}
    assert text["props"]['"data-accent-color"'] == '"gray"'
    plain = rendered(rx.text("x"))
    assert plain["name"] == "p" and plain["classes"] == {"rt-Text"}  # Reflex's rx.text asks for a <p>
    assert '"data-accent-color"' not in plain["props"]  # Radix leaves it out when no colour is given
    heading = rendered(rx.heading("H"))
    assert heading["name"] == "h1" and heading["classes"] == {"rt-Heading", "rt-r-size-6"}  # Radix's default size
    responsive = rendered(rx.heading("H", as_="h2", size={"initial": "6", "md": "8"}, align="center"))
    assert responsive["name"] == "h2"
    assert responsive["classes"] == {"rt-Heading", "rt-r-size-6", "md:rt-r-size-8", "rt-r-ta-center"}


def test_cards_badges_and_grids_carry_radix_defaults() -> None:
    assert rendered(rx.card("c"))["classes"] == {"rt-reset", "rt-BaseCard", "rt-Card", "rt-r-size-1",
                                                "rt-variant-surface"}
    badge = rendered(rx.badge("b"))
    assert badge["name"] == "span"
    assert badge["classes"] == {"rt-reset", "rt-Badge", "rt-r-size-1", "rt-variant-soft"}
    assert badge["props"]['"data-accent-color"'] == '""'  # Badge's colour defaults to "", not to nothing
    coloured = rendered(rx.badge("b", color_scheme="green", variant="outline", size="2", radius="full"))
    assert coloured["classes"] == {"rt-reset", "rt-Badge", "rt-r-size-2", "rt-variant-outline"}
    assert coloured["props"]['"data-accent-color"'] == '"green"' and coloured["props"]['"data-radius"'] == '"full"'
    grid = rendered(rx.grid(columns={"initial": "1", "md": "3"}, spacing="4"))
    assert grid["classes"] == {"rt-Grid", "rt-r-gtc-1", "md:rt-r-gtc-3", "rt-r-gap-4"}
    assert rendered(rx.box())["classes"] == {"rt-Box"}


def test_what_radix_must_compute_in_the_browser_stays_radix() -> None:
    assert rendered(rx.text("x", size=Flags.size))["name"] == "RadixThemesText"  # state-dependent prop
    assert rendered(rx.text(rx.el.span("x"), as_child=True))["name"] == "RadixThemesText"
    assert rendered(rx.grid(columns="repeat(auto-fill, 200px)"))["name"] == "RadixThemesGrid"


def test_a_state_dependent_class_name_keeps_the_radix_classes_in_front() -> None:
    box = flatten(rx.box(class_name=rx.cond(Flags.on, "shell", "shell unchecked"))).render()
    class_name = next(p for p in box["props"] if p.startswith("className:"))
    assert box["name"] == '"div"' and '"rt-Box "' in class_name and '"shell unchecked"' in class_name


def test_flatten_reaches_inside_cond_foreach_and_match() -> None:
    tree = rx.box(rx.cond(Flags.on, rx.text("yes"), rx.text("no")),
                  rx.foreach(Flags.words, lambda w: rx.text(w, size="1")),
                  rx.match(Flags.size, ("1", rx.heading("one")), rx.heading("other")))
    compiled = str(flatten(tree).render())
    assert "RadixThemesText" not in compiled and "RadixThemesHeading" not in compiled
    assert compiled.count("rt-Text") == 3 and compiled.count("rt-Heading") == 2


def test_a_link_becomes_the_routers_anchor_with_the_links_classes_and_props() -> None:
    tree = flatten(rx.box(rx.link("Home", href="/", size="2", weight="medium", color_scheme="gray", underline="none",
                                  class_name="nav", aria_label="Home page", on_click=rx.console_log("x"))))
    (anchor,) = tree.render()["children"]
    props = dict(p.split(":", 1) for p in anchor["props"])
    assert anchor["name"] == "ReactRouterLink" and props["to"] == '"/"'
    assert set(props["className"].strip('"').split()) == {"rt-Text", "rt-reset", "rt-Link", "rt-r-size-2",
                                                          "rt-r-weight-medium", "rt-underline-none", "nav"}
    assert props['"data-accent-color"'] == '"gray"' and props['"aria-label"'] == '"Home page"'
    assert "onClick" in props and "&:hover" in props["css"]  # the handler and rx.link's hover colour come along
    default = rendered(rx.link("x", href="/a"))
    assert default["classes"] == {"rt-Text", "rt-reset", "rt-Link", "rt-underline-auto"}
    assert default["props"]['"data-accent-color"'] == '""'


def test_buttons_become_button_elements_unless_their_state_decides_loading_or_disabled() -> None:
    button = rendered(rx.button("Go", type="submit", disabled=True, color_scheme="red", variant="soft"))
    assert button["name"] == "button"
    assert button["classes"] == {"rt-Button", "rt-reset", "rt-BaseButton", "rt-r-size-2", "rt-variant-soft"}
    assert button["props"]['"data-disabled"'] == '"true"' and button["props"]["disabled"] == "true"
    assert button["props"]['"data-accent-color"'] == '"red"'
    assert rendered(rx.button("Go", loading=Flags.on))["name"] == "RadixThemesButton"
    assert rendered(rx.button("Go", disabled=Flags.on))["name"] == "RadixThemesButton"
    as_link = rendered(link_button("Studio", href="/studio", size="3"))  # rx.button(as_child=True) around an <a>
    assert as_link["name"] == "ReactRouterLink"
    assert as_link["classes"] == {"rt-Button", "rt-reset", "rt-BaseButton", "rt-r-size-3", "rt-variant-solid"}


def test_icon_buttons_are_buttons_with_their_own_class() -> None:
    close = rendered(rx.icon_button(rx.icon("x"), aria_label="Close", variant="ghost", size="1"))
    assert close["name"] == "button"
    assert close["classes"] == {"rt-IconButton", "rt-reset", "rt-BaseButton", "rt-r-size-1", "rt-variant-ghost"}
    assert close["props"]['"aria-label"'] == '"Close"'
