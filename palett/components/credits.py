"""Cost previews that guide: what a run costs, what the user has, and the way to continue when it is too much.

One preview for every run button (studio, editor): `preview` is a state's CostPreview var
(state/costs.py), so the words come from billing.quote and match what submit will charge.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import Var

from palett.components.forms import link_button


def cost_summary(preview: Var, summary_id: str) -> rx.Component:
    """'Costs 4 credits · you have 12' or 'Free with Pro · 37 of 500 left this month' (never a negative balance)."""
    return rx.text(preview["summary"], size="2", weight="medium", id=summary_id, aria_live="polite")


def run_label(preview: Var, ready: rx.Component) -> rx.Component:
    """What the run button says: why it can't run ('Need 3 more credits'), or `ready`."""
    return rx.cond(preview["short"], rx.text(preview["button"]), ready)


def continue_offer(preview: Var, link_id: str = "buy-credits") -> rx.Component:
    """When the balance is short: the cheapest way to continue, a pack (or a plan) highlighted on /billing."""
    return rx.cond(
        preview["short"],
        rx.hstack(
            link_button(rx.icon("coins", size=14), preview["offer_label"], href=preview["offer_href"], size="2",
                        variant="soft", id=link_id, aria_label=preview["offer_label"] + " (opens Billing)"),
            link_button("See all plans and packs", href="/billing", size="2", variant="ghost",
                        id=link_id + "-all"),
            align="center", wrap="wrap", spacing="2", width="100%",
        ),
    )
