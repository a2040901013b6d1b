"""The landing page: what Palett does, the models, the tools, the plans."""

from __future__ import annotations

import reflex as rx

from palett.components.forms import link_button
from palett.components.layout import page
from palett.services.billing.catalog import BASIC_TOOLS_TEXT
from palett.state.session import FlashState, SessionState

MODELS = [
    ("FLUX.1 dev", "Fal"),
    ("FLUX 1.1 Pro Ultra", "Fal"),
    ("Nano Banana 2", "Fal"),
    ("Ideogram 3", "Fal"),
    ("GPT Image", "OpenAI"),
    ("Local preview", "no keys, not AI"),
]

TOOLS = [
    ("type", "Text to image", "Describe it; pick FLUX, Nano Banana or Ideogram; get up to four takes at once."),
    ("images", "Image to image", "Start from your picture and steer it with a prompt and a strength."),
    ("scissors", "Background removal", "Clean cut-outs, or a new background from a colour, photo or prompt."),
    ("maximize", "Upscale to 4K", "2×, 4× or straight to 4K without running out of memory."),
    ("brush", "Inpaint & outpaint", "A real mask editor with brush, eraser, undo and zoom; seams feathered."),
    ("wand_sparkles", "Style transfer", "Named styles or your own reference image."),
    ("history", "Photo restoration", "Denoise, fix colour casts and contrast, sharpen old photos."),
    ("layers", "Batch work", "One tool over twenty images, or twenty prompts in one go, with a zip at the end."),
]

PROMISES = [
    ("shield_check", "Failed jobs are free", "A failed, cancelled or timed-out job never costs credits — and says so."),
    ("refresh_cw", "Jobs never vanish", "Close the tab or reload: your jobs keep running and wait for you."),
    ("lock", "Private by default", "Your images are yours. Share one only when you choose to."),
]

PLANS = [
    ("Free", "$0", "10 credits every month", ["All tools", "Personal gallery", "Local preview engine"], False),
    ("Pro", "$19.99", "500 credits every month",
     ["Everything in Free", f"Free {BASIC_TOOLS_TEXT} (fair use)", "All models", "Batch up to 20"], True),
    ("Premium", "$49.99", "Unlimited (fair use)", ["Everything in Pro", "Priority processing", "Early features"],
     False),
]


def hero() -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.badge(rx.icon("sparkles", size=14), "FLUX 1.1 Pro Ultra, Nano Banana 2 and Ideogram 3", variant="soft",
                     radius="full", size="2"),
            rx.heading(
                "Make and edit images with AI, ",
                rx.el.span("beautifully.", class_name="gradient-text"),
                size=rx.breakpoints(initial="8", md="9"),
                as_="h1",
                class_name="hero-title",
            ),
            rx.text(
                "Palett is one studio for generating images on the best models and finishing them: remove "
                "backgrounds, upscale to 4K, inpaint and outpaint with a real mask editor, restore old photos. "
                "Every image keeps its full recipe.",
                size="4",
                color_scheme="gray",
                max_width="560px",
            ),
            rx.cond(
                SessionState.signed_in,
                rx.hstack(
                    link_button(rx.icon("sparkles", size=18), "Open studio", href="/studio", size="4",
                                id="hero-open-studio"),
                    link_button(rx.icon("images", size=18), "Your gallery", href="/gallery", size="4",
                                variant="soft", color_scheme="gray"),
                    spacing="3",
                    wrap="wrap",
                ),
                rx.hstack(
                    link_button(rx.icon("sparkles", size=18), "Start free — 10 credits", href="/signup", size="4"),
                    link_button("Sign in", href="/signin", size="4", variant="soft", color_scheme="gray"),
                    spacing="3",
                    wrap="wrap",
                ),
            ),
            rx.text("No card needed. Failed jobs never cost credits.", size="2", color_scheme="gray"),
            spacing="5",
            align="start",
            flex="1 1 420px",
        ),
        rx.box(
            rx.grid(
                showcase("/showcase/astronaut.webp", (512, 512), "Restore", "history", "tall", lcp=True),
                showcase("/showcase/chelsea.webp", (451, 300), "Remove background", "scissors", ""),
                showcase("/showcase/coffee.webp", (600, 400), "Upscale to 4K", "maximize", ""),
                columns="2",
                spacing="3",
                class_name="showcase-grid",
            ),
            flex="1 1 380px",
        ),
        gap="48px",
        align="center",
        wrap="wrap",
        padding_y="56px",
    )


def showcase(src: str, size: tuple[int, int], label: str, icon: str, extra: str, lcp: bool = False
             ) -> rx.Component:
    # WebP with its size (no layout shift); the tall picture is fetched first and never lazily (it is in the
    # first screen on a desktop), decoded off the first frame so the headline paints without waiting for it.
    # The two others sit below the fold on narrow screens.
    # (custom_attrs: Reflex turns width/height/fetch_priority keywords into CSS, not attributes)
    attrs = {"width": str(size[0]), "height": str(size[1])} | ({"fetchPriority": "high"} if lcp else {})
    return rx.box(
        rx.image(src=src, alt=f"Example photo for {label.lower()}", class_name="showcase-img", custom_attrs=attrs,
                 loading="eager" if lcp else "lazy", decoding="async"),
        rx.badge(rx.icon(icon, size=12), label, class_name="showcase-label", variant="solid", radius="full"),
        class_name=f"showcase {extra}",
    )


def models_strip() -> rx.Component:
    return rx.vstack(
        rx.text("Models", size="2", weight="medium", color_scheme="gray", class_name="eyebrow"),
        rx.flex(
            *[
                rx.hstack(
                    rx.text(name, weight="medium", size="3"),
                    rx.badge(provider, variant="soft", color_scheme="gray", size="1"),
                    class_name="model-chip",
                    align="center",
                    spacing="2",
                )
                for name, provider in MODELS
            ],
            wrap="wrap",
            gap="12px",
        ),
        spacing="3",
        padding_y="24px",
    )


def tool_card(icon: str, title: str, text: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.center(rx.icon(icon, size=20), class_name="tool-icon"),
            rx.heading(title, size="4", as_="h3"),
            rx.text(text, size="2", color_scheme="gray"),
            spacing="3",
            align="start",
        ),
        size="3",
        class_name="tool-card",
    )


def features() -> rx.Component:
    return rx.vstack(
        rx.heading("Every tool in one studio", size="8", as_="h2"),
        rx.text("Generate, then finish the image without leaving the page.", color_scheme="gray", size="4"),
        rx.grid(*[tool_card(*t) for t in TOOLS], columns=rx.breakpoints(initial="1", sm="2", md="4"),
                spacing="4", width="100%"),
        spacing="4",
        padding_y="48px",
        id="features",
        width="100%",
    )


def promises() -> rx.Component:
    return rx.grid(
        *[
            rx.hstack(
                rx.center(rx.icon(icon, size=20), class_name="tool-icon"),
                rx.vstack(rx.text(title, weight="bold"), rx.text(text, size="2", color_scheme="gray"),
                          spacing="1"),
                spacing="3",
                align="start",
            )
            for icon, title, text in PROMISES
        ],
        columns=rx.breakpoints(initial="1", md="3"),
        spacing="6",
        padding_y="32px",
        width="100%",
    )


def plan_card(name: str, price: str, allowance: str, perks: list[str], featured: bool) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(name, size="5", as_="h3"),
                rx.badge("Most popular", radius="full") if featured else rx.fragment(),
                justify="between",
                width="100%",
            ),
            rx.hstack(rx.text(price, size="8", weight="bold"), rx.text("/ month", color_scheme="gray", size="2"),
                      align="baseline", spacing="1"),
            rx.text(allowance, weight="medium"),
            rx.vstack(*[rx.hstack(rx.icon("check", size=16, color=rx.color("accent", 10)), rx.text(p, size="2"),
                                  align="center") for p in perks], spacing="2"),
            spacing="4",
            align="start",
        ),
        size="4",
        class_name="plan-card featured" if featured else "plan-card",
    )


def pricing() -> rx.Component:
    return rx.vstack(
        rx.heading("Simple plans, honest credits", size="8", as_="h2"),
        rx.text("One credit per image for most tools. Credit packs from $9.99 for 100 credits.",
                color_scheme="gray", size="4"),
        rx.grid(*[plan_card(*p) for p in PLANS], columns=rx.breakpoints(initial="1", md="3"), spacing="4",
                width="100%"),
        spacing="4",
        padding_y="48px",
        id="pricing",
        width="100%",
    )


def closing_cta() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.heading("Your next image is a sentence away.", size="7", as_="h2", align="center"),
            rx.cond(SessionState.signed_in,
                    link_button(rx.icon("sparkles", size=18), "Open studio", href="/studio", size="4"),
                    link_button("Create your free account", href="/signup", size="4")),
            align="center",
            spacing="4",
        ),
        class_name="cta-band",
    )


def index() -> rx.Component:
    return page(
        rx.cond(FlashState.notice != "",
                rx.callout(FlashState.notice, icon="circle_check", color_scheme="green", role="status",
                           margin_top="16px")),
        hero(),
        models_strip(),
        features(),
        promises(),
        pricing(),
        closing_cta(),
    )


ON_LOAD = [SessionState.load, FlashState.read]
