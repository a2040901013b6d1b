"""The cost preview every run button shows (studio, editor): the billing quote as plain state data."""

from __future__ import annotations

from typing import TypedDict

from palett.services import billing


class CostPreview(TypedDict):
    summary: str  # "Costs 4 credits · you have 12" | "Free with Pro · 37 of 500 left this month" | ""
    short: bool  # the balance doesn't cover it: the button says why, the offer shows
    button: str  # "Need 3 more credits"
    offer_label: str  # "Buy 100 credits for $9.99"
    offer_href: str  # "/billing?highlight=starter"


def cost_preview(*, operation: str, job_cost: int, jobs: int, balance: int, allowance_kind: str,
                 allowance_left: int, allowance_cap: int) -> CostPreview:
    if job_cost <= 0:
        return CostPreview(summary="", short=False, button="", offer_label="", offer_href="")
    quote = billing.quote(operation=operation, job_cost=job_cost, jobs=max(1, jobs), balance=balance,
                          allowance=billing.AllowanceView(allowance_kind, allowance_left, allowance_cap))
    offer = quote.offer
    return CostPreview(summary=quote.summary, short=quote.shortfall > 0, button=quote.button,
                       offer_label=offer.label if offer else "",
                       offer_href=f"/billing?highlight={offer.product}" if offer else "")
