"""Cost previews that guide: what a run costs, what the user has, and the way to continue when it is too much.

One preview for every run button (studio, editor): `preview` is a state's CostPreview var
(state/costs.py), so the words come from billing.quote and match what submit will charge.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import NumberVar, ObjectVar, StringVar

from palett.components.forms import link_button
from palett.state.costs import CostPreview
from palett.state.session import SessionState


def cost_summary(preview: ObjectVar[CostPreview], summary_id: str, lead: str = "") -> rx.Component:
    """'Costs 4 credits · you have 12' or 'Free with Pro · 37 of 500 left this month' (never a negative balance);
    `lead` names what is priced when the button beside it doesn't ('Variations: ')."""
    summary = rx.text(preview["summary"], size="2", weight="medium", id=summary_id, aria_live="polite")
    if not lead:
        return summary
    return rx.cond(preview["summary"] != "", rx.hstack(rx.text(lead, size="2", color_scheme="gray"), summary,
                                                        spacing="1", wrap="wrap"))


def run_label(preview: ObjectVar[CostPreview], ready: rx.Component) -> rx.Component:
    """What the run button says: why it can't run ('Need 3 more credits'), or `ready`."""
    return rx.cond(preview["short"], rx.text(preview["button"]), ready)


def continue_offer(preview: ObjectVar[CostPreview], link_id: str = "buy-credits") -> rx.Component:
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


def generation_price(cost: NumberVar[int]) -> StringVar:
    """The preview for a one-click generation (a job card's Variations): the same words as billing.quote gives
    for t2i, computed in the browser because each card has its own cost (Pro's free tools don't apply to t2i)."""
    covered = (SessionState.allowance_kind == "premium") & (SessionState.allowance_left >= cost)
    return rx.cond(covered, "Free with Premium",
                   "Costs " + cost.to_string() + rx.cond(cost == 1, " credit", " credits") + " · you have "
                   + SessionState.credits.to_string())
