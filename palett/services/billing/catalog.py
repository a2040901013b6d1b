"""What can be bought: credit packs and plans, as data, in this one place.

Amounts here are what the pages show; what Stripe charges is the Stripe Price whose id comes from
settings (STRIPE_PRICE_*). Keep the two equal when creating the prices in the Stripe dashboard.
A product whose price id is not set is listed but not offered for sale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from palett.settings import Settings

Interval = Literal["month", "year"]
ACTIVE_STATUSES = frozenset({"active", "trialing"})  # a paid plan's rules apply only in these


@dataclass(frozen=True)
class Pack:
    """A one-off credit pack (Checkout in payment mode)."""

    key: str  # product key in metadata and in purchase.product
    name: str
    credits: int  # everything the buyer gets, bonus included
    bonus: int  # the part of `credits` that is a bonus (for display)
    price_cents: int
    price_setting: str  # the Settings field holding its Stripe price id
    currency: str = "usd"

    def price_id(self, settings: Settings) -> str:
        return str(getattr(settings, self.price_setting) or "")


@dataclass(frozen=True)
class PlanSpec:
    """A plan. Free has no price; Pro and Premium are subscriptions billed monthly or yearly."""

    key: str  # = models.Plan value
    name: str
    monthly_cents: int
    yearly_cents: int  # ten months' price: two months free
    monthly_credits: int  # Free: top up to this on the sign-up anniversary; Pro: added for each month paid
    unlimited: bool  # Premium: generations don't use credits, up to PREMIUM_FAIR_USE a month
    priority: bool  # jobs go ahead of others in the queue
    features: tuple[str, ...]
    monthly_price_setting: str = ""
    yearly_price_setting: str = ""
    currency: str = "usd"

    def price_id(self, settings: Settings, interval: Interval) -> str:
        name = self.monthly_price_setting if interval == "month" else self.yearly_price_setting
        return str(getattr(settings, name) or "") if name else ""

    @property
    def paid(self) -> bool:
        return self.monthly_cents > 0


PACKS: tuple[Pack, ...] = (
    Pack("starter", "Starter", 100, 0, 999, "stripe_price_starter"),
    Pack("creator", "Creator", 250, 50, 1999, "stripe_price_creator"),
    Pack("professional", "Professional", 600, 100, 3999, "stripe_price_professional"),
)

FREE_MONTHLY_CREDITS = 10
PRO_MONTHLY_CREDITS = 500
# Pro's "unlimited basic features": the generation catalog's 1-credit tools (a unit test keeps the two in
# step). They cost Pro subscribers nothing up to PRO_BASIC_FAIR_USE a month (billing.allowance).
BASIC_OPERATIONS = frozenset({"bg_remove", "upscale", "restore"})
BASIC_TOOLS_TEXT = "background removal, upscaling and photo restoration"

PLANS: tuple[PlanSpec, ...] = (
    PlanSpec("free", "Free", 0, 0, FREE_MONTHLY_CREDITS, unlimited=False, priority=False,
             features=(f"{FREE_MONTHLY_CREDITS} credits every month (topped up, not added up)",
                       "Every tool and model", "Buy credit packs any time")),
    PlanSpec("pro", "Pro", 1999, 19990, PRO_MONTHLY_CREDITS, unlimited=False, priority=False,
             features=(f"{PRO_MONTHLY_CREDITS} credits every month (they carry over)",
                       f"Free {BASIC_TOOLS_TEXT} (fair use)", "Higher rate limits", "Everything in Free"),
             monthly_price_setting="stripe_price_pro_monthly", yearly_price_setting="stripe_price_pro_yearly"),
    PlanSpec("premium", "Premium", 4999, 49990, 0, unlimited=True, priority=True,
             features=("Unlimited generations (fair use)", "Priority processing", "Highest rate limits",
                       "Everything in Pro except the monthly credits"),
             monthly_price_setting="stripe_price_premium_monthly",
             yearly_price_setting="stripe_price_premium_yearly"),
)


def billing_enabled(settings: Settings) -> bool:
    """Payments work only with both the API key and the webhook secret (credits come from webhooks)."""
    return bool(settings.stripe_secret_key and settings.stripe_webhook_secret)


def pack(key: str) -> Pack | None:
    return next((p for p in PACKS if p.key == key), None)


def plan(key: str | None) -> PlanSpec:
    """The plan for a key; anything unknown is Free."""
    return next((p for p in PLANS if p.key == key), PLANS[0])


@dataclass(frozen=True)
class Product:
    """What a Stripe price id stands for."""

    kind: Literal["pack", "subscription"]
    key: str  # pack key or plan key
    interval: Interval | None = None

    @property
    def label(self) -> str:
        """purchase.product: 'starter', 'pro_month', 'premium_year'."""
        return self.key if self.interval is None else f"{self.key}_{self.interval}"


def product_for_price(settings: Settings, price_id: str | None) -> Product | None:
    """Map a Stripe price id (from an invoice line or a subscription item) back to our product."""
    if not price_id:
        return None
    for p in PACKS:
        if p.price_id(settings) == price_id:
            return Product("pack", p.key)
    for spec in PLANS:
        for interval in ("month", "year"):
            if spec.paid and spec.price_id(settings, interval) == price_id:  # type: ignore[arg-type]
                return Product("subscription", spec.key, interval)  # type: ignore[arg-type]
    return None


def parse_product(code: str) -> Product | None:
    """The inverse of Product.label for what a page posts: 'starter', 'pro_month', 'premium_year'."""
    if pack(code):
        return Product("pack", code)
    key, _, interval = code.rpartition("_")
    if interval in ("month", "year") and plan(key).key == key and plan(key).paid:
        return Product("subscription", key, interval)  # type: ignore[arg-type]
    return None


# ---- what the pricing page shows ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PackOffer:
    key: str
    name: str
    credits: int
    bonus: int
    price_cents: int
    price: str  # "$9.99"
    available: bool  # False when its Stripe price id is not configured (or billing is off)


@dataclass(frozen=True)
class PlanOffer:
    key: str
    name: str
    monthly: str  # "$19.99"
    yearly: str  # "$199.90"
    yearly_saving_percent: int
    monthly_credits: int
    unlimited: bool
    priority: bool
    features: tuple[str, ...]
    available_monthly: bool
    available_yearly: bool


def money(cents: int, currency: str = "usd") -> str:
    symbol = {"usd": "$", "eur": "€", "gbp": "£"}.get(currency.lower(), "")
    return f"{symbol}{cents / 100:,.2f}" + ("" if symbol else f" {currency.upper()}")


def pack_offers(settings: Settings) -> list[PackOffer]:
    on = billing_enabled(settings)
    return [PackOffer(p.key, p.name, p.credits, p.bonus, p.price_cents, money(p.price_cents, p.currency),
                      on and bool(p.price_id(settings))) for p in PACKS]


def plan_offers(settings: Settings) -> list[PlanOffer]:
    on = billing_enabled(settings)
    offers = []
    for spec in PLANS:
        saving = round(100 - spec.yearly_cents * 100 / (spec.monthly_cents * 12)) if spec.paid else 0
        offers.append(PlanOffer(
            spec.key, spec.name, money(spec.monthly_cents), money(spec.yearly_cents), saving, spec.monthly_credits,
            spec.unlimited, spec.priority, spec.features,
            available_monthly=on and spec.paid and bool(spec.price_id(settings, "month")),
            available_yearly=on and spec.paid and bool(spec.price_id(settings, "year")),
        ))
    return offers
