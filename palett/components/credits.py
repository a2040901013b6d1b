"""Cost previews that guide: what a run costs, what the user has, and the way to continue when it is too much."""

from __future__ import annotations

import reflex as rx
from reflex.vars import Var

from palett.components.forms import link_button
from palett.services.billing.catalog import PACKS


def plural(count: Var[int], word: str) -> Var[str]:
    """'1 credit', '4 credits' for a number known only in the browser."""
    return count.to_string() + rx.cond(count == 1, f" {word}", f" {word}s")


def shortfall_text(cost: Var[int], balance: Var[int]) -> Var[str]:
    """What a disabled Run/Generate button says when the balance is too low: 'Needs 4 credits, you have 1'."""
    return "Needs " + plural(cost, "credit") + ", you have " + balance.to_string()


def _cheapest_pack_label() -> str:
    cheapest = min(PACKS, key=lambda p: p.price_cents)
    return f"Buy {cheapest.credits} credits for ${cheapest.price_cents / 100:.2f}"


def buy_credits_link(link_id: str = "buy-credits") -> rx.Component:
    """The cheapest way to continue: a pack (or a plan) on /billing."""
    return rx.hstack(
        rx.text("Not enough credits for this run.", size="1", color_scheme="red"),
        link_button(rx.icon("coins", size=14), _cheapest_pack_label(), href="/billing", size="1",
                    variant="soft", id=link_id, aria_label=_cheapest_pack_label() + " (or pick a plan)"),
        align="center", wrap="wrap", spacing="2", width="100%",
    )
