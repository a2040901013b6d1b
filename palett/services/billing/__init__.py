"""Billing: Stripe credit packs and Free/Pro/Premium plans. Every credit movement is a ledger row.

Public API (import from here):

- catalog:       PACKS, PLANS, pack(), plan(), pack_offers(settings), plan_offers(settings),
                 billing_enabled(settings), parse_product(code), product_for_price(settings, price_id)
- checkout:      create_checkout(user_id, product) -> CheckoutLink(url, session_id, purchase_id)
                 create_portal(user_id) -> PortalLink(url); ensure_customer(user_id) -> str
                 (blocking network calls: run them in a thread)
- account:       summary(db, user_id) -> BillingSummary; history(db, user_id, ...) -> list[PurchaseRow];
                 checkout_status(db, user_id, session_id) -> CheckoutStatus
- webhooks:      verify(raw_body, stripe_signature_header) -> event dict; process(event) -> WebhookResult
- refills:       refill_due(db, now) -> RefillReport; refill_free(db, now); refill_yearly_pro(db, now)
- allowance:     allowance(db, user) -> Allowance | None (Premium fair use, Pro's free basic tools);
                 covers(db, user, operation=..., cost=...) -> bool
- quotes:        quote(...) -> Quote (the cost previews' words), cheapest_offer(shortfall) -> Offer
"""

from palett.services.billing.account import (
    BillingSummary,
    CheckoutStatus,
    PurchaseRow,
    checkout_status,
    history,
    summary,
)
from palett.services.billing.allowance import Allowance, allowance, covers
from palett.services.billing.catalog import (
    PACKS,
    PLANS,
    Pack,
    PackOffer,
    PlanOffer,
    PlanSpec,
    Product,
    billing_enabled,
    pack,
    pack_offers,
    parse_product,
    plan,
    plan_offers,
    product_for_price,
)
from palett.services.billing.checkout import CheckoutLink, PortalLink, create_checkout, create_portal, ensure_customer
from palett.services.billing.quotes import AllowanceView, Offer, Quote, cheapest_offer, quote
from palett.services.billing.refills import RefillReport, refill_due, refill_free, refill_yearly_pro
from palett.services.billing.webhooks import WebhookNotConfigured, WebhookRejected, WebhookResult, process, verify

__all__ = [
    "PACKS",
    "PLANS",
    "Allowance",
    "AllowanceView",
    "BillingSummary",
    "CheckoutLink",
    "CheckoutStatus",
    "Offer",
    "Pack",
    "PackOffer",
    "PlanOffer",
    "PlanSpec",
    "PortalLink",
    "Product",
    "PurchaseRow",
    "Quote",
    "RefillReport",
    "WebhookNotConfigured",
    "WebhookRejected",
    "WebhookResult",
    "allowance",
    "billing_enabled",
    "cheapest_offer",
    "checkout_status",
    "covers",
    "create_checkout",
    "create_portal",
    "ensure_customer",
    "history",
    "pack",
    "pack_offers",
    "parse_product",
    "plan",
    "plan_offers",
    "process",
    "product_for_price",
    "quote",
    "refill_due",
    "refill_free",
    "refill_yearly_pro",
    "summary",
    "verify",
]
