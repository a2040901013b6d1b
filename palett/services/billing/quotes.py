"""What a run will cost, in words for the cost previews, and the cheapest way to continue when it is too much.

Pure and quick: the studio and editor recompute it on every change of the form. It mirrors what
submit does job by job (allowance first, then credits), so the preview and the charge agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from palett.services.billing import catalog


@dataclass(frozen=True)
class AllowanceView:
    """What the page knows of the user's allowance (billing.allowance.Allowance, as plain fields)."""

    kind: str = ""  # "" | premium | pro_basic
    remaining: int = 0
    cap: int = 0

    def applies_to(self, operation: str) -> bool:
        return self.kind == "premium" or (self.kind == "pro_basic" and operation in catalog.BASIC_OPERATIONS)

    @property
    def plan_name(self) -> str:
        return "Premium" if self.kind == "premium" else "Pro"


@dataclass(frozen=True)
class Offer:
    product: str  # what /billing?highlight= names: a pack key, or "pro_month"
    label: str  # "Buy 100 credits for $9.99"


@dataclass(frozen=True)
class Quote:
    cost: int  # credits this run takes from the balance (after the allowance)
    free_jobs: int  # jobs the allowance pays for
    summary: str  # "Costs 4 credits · you have 12" | "Free with Pro · 37 of 500 left this month"
    shortfall: int  # credits missing; 0 when the run is affordable
    button: str  # "" or "Need 3 more credits"
    offer: Offer | None  # the cheapest way to continue, when short


def credits_text(count: int) -> str:
    return f"{count:,} credit" + ("" if count == 1 else "s")


def cheapest_offer(shortfall: int) -> Offer:
    """The smallest pack that covers the shortfall; Pro when no pack does."""
    for pack in sorted(catalog.PACKS, key=lambda p: p.credits):
        if pack.credits >= shortfall:
            return Offer(pack.key, f"Buy {pack.credits:,} credits for {catalog.money(pack.price_cents)}")
    pro = catalog.plan("pro")
    return Offer("pro_month", f"Go Pro: {pro.monthly_credits:,} credits a month for {catalog.money(pro.monthly_cents)}")


def quote(*, operation: str, job_cost: int, jobs: int, balance: int, allowance: AllowanceView) -> Quote:
    """A run of `jobs` jobs of `job_cost` credits each, for a user with `balance` and `allowance`."""
    free_jobs = 0
    if allowance.applies_to(operation) and job_cost > 0:
        free_jobs = min(jobs, allowance.remaining // job_cost)
    cost = (jobs - free_jobs) * job_cost
    free = f"Free with {allowance.plan_name} · {allowance.remaining:,} of {allowance.cap:,} left this month"
    if cost == 0:
        return Quote(0, free_jobs, free if free_jobs else "", 0, "", None)
    summary = f"Costs {credits_text(cost)} · you have {balance:,}"
    if free_jobs:
        summary = f"{free_jobs} free with {allowance.plan_name}, the rest c" + summary[1:]
    elif allowance.applies_to(operation):
        summary += f" ({allowance.plan_name}'s free {allowance.cap:,} are used up this month)"
    shortfall = max(0, cost - balance)
    if not shortfall:
        return Quote(cost, free_jobs, summary, 0, "", None)
    need = f"Need {shortfall:,} more credit" + ("" if shortfall == 1 else "s")
    return Quote(cost, free_jobs, summary, shortfall, need, cheapest_offer(shortfall))
