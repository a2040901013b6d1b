"""A local emulator of the Stripe API endpoints Palett uses, and a sender of signed webhooks.

stripe-mock is not obtainable here, so this speaks just enough of Stripe's wire protocol for the
official `stripe` library (StripeClient with base_addresses={"api": emulator.base_url}):

- form-encoded request bodies with bracketed keys (metadata[user_id], line_items[0][price]) → JSON
- `Authorization: Bearer <secret key>` (401 otherwise), Stripe-shaped error bodies (400/401/404)
- `Idempotency-Key`: the same key with the same parameters replays the first response
  (`Idempotent-Replayed: true`); with other parameters it is an idempotency_error (400)

API (what Palett calls):
  POST /v1/customers                      GET /v1/customers/{id}
  POST /v1/checkout/sessions              GET /v1/checkout/sessions/{id}
  GET  /v1/checkout/sessions?payment_intent=pi_...
  POST /v1/billing_portal/sessions        GET /v1/subscriptions/{id}
  DELETE /v1/subscriptions/{id}           cancel now: the subscription, status "canceled"; 404 resource_missing
                                          ("No such subscription") when unknown or already cancelled, as Stripe
                                          answers; customer.subscription.deleted goes to `pending` (send it with
                                          deliver(emu.take_pending())). `down = True` answers every API call 503.
Hosted pages (what a browser sees):
  GET  /checkout/{session}        "Pay" form → POST /checkout/{session}/pay completes the payment, sends
                                  the webhooks, then 303 to success_url; "Cancel" goes to cancel_url
  GET  /portal/{portal_session}   cancel at period end / cancel now / switch plan / return
  GET  /receipts/{charge}, /invoices/{invoice}   receipt and invoice pages

Objects use the current API shape (2025+): subscription periods on the subscription item, invoice
lines with pricing.price_details.price and invoice.parent.subscription_details.

Use: `with StripeEmulator() as emu:` then set emu.env() as environment variables (STRIPE_SECRET_KEY,
STRIPE_WEBHOOK_SECRET, STRIPE_API_BASE, STRIPE_PRICE_*) and emu.webhook_url = "<app>/api/webhooks/stripe".

Test helpers (each returns the events it made and, unless deliver=False, sends them in Stripe's
usual order to `webhook_url`, signed with `webhook_secret` as `t=...,v1=hmac_sha256(secret, f"{t}.{body}")`):
  complete_checkout, expire_checkout, renew, fail_payment, pay_open_invoice, cancel_subscription,
  end_period, change_plan, refund
and for hostile deliveries: send(event, timestamp=..., secret=..., signature=..., body=...), sign(...),
event(type, obj) to build any event, deliver(events) to send a list in any order (duplicates too).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.fakes.server import serve_in_thread

API_VERSION = "2026-10-28.endive"
DEFAULT_KEY = "sk_test_emulator_0123456789"
DEFAULT_SECRET = "whsec_emulator_0123456789abcdef"
INTERVAL_SECONDS = {"month": 30 * 86400, "year": 365 * 86400}

# The price ids the tests configure in settings (STRIPE_PRICE_*), with Stripe-side amounts.
DEFAULT_PRICES = {
    "price_starter": (999, None), "price_creator": (1999, None), "price_professional": (3999, None),
    "price_pro_monthly": (1999, "month"), "price_pro_yearly": (19990, "year"),
    "price_premium_monthly": (4999, "month"), "price_premium_yearly": (49990, "year"),
}
PRICE_SETTINGS = {
    "STRIPE_PRICE_STARTER": "price_starter", "STRIPE_PRICE_CREATOR": "price_creator",
    "STRIPE_PRICE_PROFESSIONAL": "price_professional", "STRIPE_PRICE_PRO_MONTHLY": "price_pro_monthly",
    "STRIPE_PRICE_PRO_YEARLY": "price_pro_yearly", "STRIPE_PRICE_PREMIUM_MONTHLY": "price_premium_monthly",
    "STRIPE_PRICE_PREMIUM_YEARLY": "price_premium_yearly",
}


class StripeFail(Exception):
    def __init__(self, status: int, message: str, *, type_: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.body = status, {"error": {"type": type_, "message": message, "code": code, "param": param}}


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def parse_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding → nested dicts/lists: a[b][0][c]=v."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = re.fullmatch(r"([^\[\]]+)((?:\[[^\[\]]*\])*)", key)
        if not match:
            continue
        parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _listify(root)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    node = {k: _listify(v) for k, v in node.items()}
    if node and all(k.isdigit() for k in node):
        return [node[k] for k in sorted(node, key=int)]
    return node


@dataclass
class Delivery:
    event: dict[str, Any]
    status_code: int
    body: str


@dataclass
class StripeEmulator:
    api_key: str = DEFAULT_KEY
    webhook_secret: str = DEFAULT_SECRET
    webhook_url: str | None = None
    prices: dict[str, tuple[int, str | None]] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    base_url: str = ""
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)  # by payment intent id
    portals: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)  # (method, path, idempotency key)
    deliveries: list[Delivery] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)  # events API calls made, not yet delivered
    clock_offset: float = 0.0
    down: bool = False  # Stripe having an outage: every API call answers 503

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._idempotent: dict[str, tuple[str, int, dict[str, Any]]] = {}
        self._private: dict[str, dict[str, Any]] = {}  # per checkout session: price, metadata to pass on
        self._stop: Any = None
        self.app = Starlette(routes=[
            Route("/v1/customers", self._api(self._create_customer), methods=["POST"]),
            Route("/v1/customers/{id}", self._api(self._get("customers", "customer")), methods=["GET"]),
            Route("/v1/checkout/sessions", self._api(self._create_session), methods=["POST"]),
            Route("/v1/checkout/sessions", self._api(self._list_sessions), methods=["GET"]),
            Route("/v1/checkout/sessions/{id}", self._api(self._get("sessions", "checkout.session")), methods=["GET"]),
            Route("/v1/billing_portal/sessions", self._api(self._create_portal), methods=["POST"]),
            Route("/v1/subscriptions/{id}", self._api(self._get("subscriptions", "subscription")), methods=["GET"]),
            Route("/v1/subscriptions/{id}", self._api(self._cancel_now), methods=["DELETE"]),
            Route("/checkout/{id}", self._checkout_page, methods=["GET"]),
            Route("/checkout/{id}/pay", self._checkout_pay, methods=["POST"]),
            Route("/portal/{id}", self._portal_page, methods=["GET"]),
            Route("/portal/{id}/{action}", self._portal_action, methods=["POST"]),
            Route("/receipts/{id}", lambda r: HTMLResponse(f"<h1>Receipt {html.escape(r.path_params['id'])}</h1>")),
            Route("/invoices/{id}", lambda r: HTMLResponse(f"<h1>Invoice {html.escape(r.path_params['id'])}</h1>")),
        ])

    # ---- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> StripeEmulator:
        self.base_url, self._stop = serve_in_thread(self.app)
        return self

    def stop(self) -> None:
        if self._stop:
            self._stop()
            self._stop = None

    def __enter__(self) -> StripeEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        """The settings that point Palett at this emulator."""
        return {"STRIPE_SECRET_KEY": self.api_key, "STRIPE_WEBHOOK_SECRET": self.webhook_secret,
                "STRIPE_API_BASE": self.base_url, **PRICE_SETTINGS}

    def now(self) -> int:
        return int(time.time() + self.clock_offset)

    # ---- the API --------------------------------------------------------------------------------------------

    def _api(self, handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            if request.headers.get("authorization", "") != f"Bearer {self.api_key}":
                return JSONResponse({"error": {"type": "invalid_request_error",
                                               "message": "Invalid API Key provided: sk_****"}}, status_code=401)
            if self.down:
                return JSONResponse({"error": {"type": "api_error", "message": "Service unavailable (emulated)."}},
                                    status_code=503)
            body = (await request.body()).decode()
            params = parse_form(parse_qsl(body if request.method == "POST" else request.url.query,
                                          keep_blank_values=True))
            key = request.headers.get("idempotency-key")
            with self._lock:
                self.requests.append((request.method, request.url.path, key))
                fingerprint = f"{request.method} {request.url.path} {sorted(parse_qsl(body))}"
                if request.method == "POST" and key and key in self._idempotent:
                    seen, status, payload = self._idempotent[key]
                    if seen != fingerprint:
                        return JSONResponse({"error": {
                            "type": "idempotency_error",
                            "message": f"Keys for idempotent requests can only be used with the same parameters they "
                                       f"were first used with. Try using a key other than '{key}' if you meant to "
                                       "execute a different request."}}, status_code=400)
                    return JSONResponse(payload, status_code=status, headers={"Idempotent-Replayed": "true"})
                try:
                    status, payload = 200, handler(params, **request.path_params)
                except StripeFail as fail:
                    status, payload = fail.status, fail.body
                if request.method == "POST" and key:
                    self._idempotent[key] = (fingerprint, status, payload)
            return JSONResponse(payload, status_code=status, headers={"Request-Id": _new_id("req")})

        return endpoint

    def _get(self, table: str, kind: str) -> Any:
        def handler(params: dict[str, Any], id: str) -> dict[str, Any]:
            obj = getattr(self, table).get(id)
            if obj is None:
                raise StripeFail(404, f"No such {kind.split('.')[-1]}: '{id}'", code="resource_missing", param="id")
            return copy.deepcopy(obj)

        return handler

    def _cancel_now(self, params: dict[str, Any], id: str) -> dict[str, Any]:
        """DELETE /v1/subscriptions/{id}. The webhook is queued, not sent here: the app's handler calls back
        into this API, which must not wait on its own request."""
        sub = self.subscriptions.get(id)
        if sub is None or sub["status"] == "canceled":
            raise StripeFail(404, f"No such subscription: '{id}'", code="resource_missing", param="id")
        sub.update(status="canceled", canceled_at=self.now(), ended_at=self.now(), cancel_at_period_end=False,
                   cancellation_details={"comment": None, "feedback": None, "reason": "cancellation_requested"})
        self.pending.append(self.event("customer.subscription.deleted", sub))
        return copy.deepcopy(sub)

    def take_pending(self) -> list[dict[str, Any]]:
        with self._lock:
            events, self.pending = self.pending, []
        return events

    def _create_customer(self, params: dict[str, Any]) -> dict[str, Any]:
        customer = {"id": _new_id("cus"), "object": "customer", "email": params.get("email"),
                    "name": params.get("name"), "metadata": params.get("metadata", {}), "created": self.now(),
                    "livemode": False}
        self.customers[customer["id"]] = customer
        return copy.deepcopy(customer)

    def _create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        mode = params.get("mode")
        if mode not in ("payment", "subscription"):
            raise StripeFail(400, "Invalid mode", param="mode")
        items = params.get("line_items") or []
        price_id = items[0].get("price") if items else None
        if price_id not in self.prices:
            raise StripeFail(400, f"No such price: '{price_id}'", code="resource_missing", param="line_items[0][price]")
        amount, interval = self.prices[price_id]
        if (interval is None) != (mode == "payment"):
            raise StripeFail(400, "You must provide at least one recurring price in `subscription` mode and only "
                                  "one-time prices in `payment` mode.", param="line_items")
        customer = params.get("customer")
        if customer and customer not in self.customers:
            raise StripeFail(400, f"No such customer: '{customer}'", code="resource_missing", param="customer")
        if not params.get("success_url"):
            raise StripeFail(400, "Missing required param: success_url.", param="success_url")
        session_id = _new_id("cs_test")
        session = {
            "id": session_id, "object": "checkout.session", "mode": mode, "status": "open",
            "payment_status": "unpaid", "customer": customer, "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata", {}), "amount_subtotal": amount, "amount_total": amount,
            "currency": "usd", "url": f"{self.base_url}/checkout/{session_id}", "success_url": params["success_url"],
            "cancel_url": params.get("cancel_url"), "payment_intent": None, "subscription": None, "invoice": None,
            "created": self.now(), "expires_at": self.now() + 86400, "livemode": False,
        }
        self.sessions[session_id] = session
        self._private[session_id] = {"price": price_id, "payment_intent_data": params.get("payment_intent_data", {}),
                                     "subscription_data": params.get("subscription_data", {})}
        return copy.deepcopy(session)

    def _list_sessions(self, params: dict[str, Any]) -> dict[str, Any]:
        found = [s for s in self.sessions.values()
                 if not params.get("payment_intent") or s.get("payment_intent") == params["payment_intent"]]
        limit = int(params.get("limit") or 10)
        return {"object": "list", "url": "/v1/checkout/sessions", "has_more": len(found) > limit,
                "data": copy.deepcopy(found[:limit])}

    def _create_portal(self, params: dict[str, Any]) -> dict[str, Any]:
        customer = params.get("customer")
        if customer not in self.customers:
            raise StripeFail(400, f"No such customer: '{customer}'", code="resource_missing", param="customer")
        portal_id = _new_id("bps")
        portal = {"id": portal_id, "object": "billing_portal.session", "customer": customer,
                  "return_url": params.get("return_url"), "url": f"{self.base_url}/portal/{portal_id}",
                  "created": self.now(), "livemode": False}
        self.portals[portal_id] = portal
        return copy.deepcopy(portal)

    # ---- hosted pages ---------------------------------------------------------------------------------------

    def _checkout_page(self, request: Request) -> Response:
        session = self.sessions.get(request.path_params["id"])
        if session is None:
            return HTMLResponse("<h1>Not found</h1>", status_code=404)
        price = f"${session['amount_total'] / 100:.2f}"
        return HTMLResponse(
            f"<!doctype html><title>Stripe Checkout (emulator)</title><h1>Pay {price}</h1>"
            f"<p>Test card 4242 4242 4242 4242</p>"
            f"<form method=post action='/checkout/{session['id']}/pay'><button id=pay>Pay {price}</button></form>"
            f"<a id=cancel href='{html.escape(session['cancel_url'] or '/')}'>Cancel</a>")

    def _checkout_pay(self, request: Request) -> Response:  # sync: Starlette runs it in a thread
        session_id = request.path_params["id"]
        if session_id not in self.sessions:
            return HTMLResponse("<h1>Not found</h1>", status_code=404)
        self.complete_checkout(session_id)
        url = self.sessions[session_id]["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
        return RedirectResponse(url, status_code=303)

    def _portal_page(self, request: Request) -> Response:
        portal = self.portals.get(request.path_params["id"])
        if portal is None:
            return HTMLResponse("<h1>Not found</h1>", status_code=404)
        subs = [s for s in self.subscriptions.values() if s["customer"] == portal["customer"]]
        rows = "".join(
            f"<li data-sub='{s['id']}'>{s['items']['data'][0]['price']['id']}: {s['status']}"
            f"{' (cancels at period end)' if s['cancel_at_period_end'] else ''}</li>" for s in subs)
        pid = portal["id"]
        return HTMLResponse(
            f"<!doctype html><title>Billing portal (emulator)</title><h1>Your subscription</h1><ul>{rows}</ul>"
            f"<form method=post action='/portal/{pid}/cancel'><button id=cancel>Cancel plan</button></form>"
            f"<form method=post action='/portal/{pid}/cancel-now'><button id=cancel-now>Cancel now</button></form>"
            f"<form method=post action='/portal/{pid}/switch'><input name=price placeholder=price_id>"
            f"<button id=switch>Switch plan</button></form>"
            f"<a id=return href='{html.escape(portal['return_url'] or '/')}'>Return</a>")

    async def _portal_action(self, request: Request) -> Response:
        portal = self.portals.get(request.path_params["id"])
        if portal is None:
            return HTMLResponse("<h1>Not found</h1>", status_code=404)
        form = dict(parse_qsl((await request.body()).decode()))
        live = [s for s in self.subscriptions.values()
                if s["customer"] == portal["customer"] and s["status"] not in ("canceled", "incomplete_expired")]
        action = request.path_params["action"]
        for sub in live:
            if action == "cancel":
                await _in_thread(self.cancel_subscription, sub["id"], at_period_end=True)
            elif action == "cancel-now":
                await _in_thread(self.cancel_subscription, sub["id"])
            elif action == "switch" and form.get("price") in self.prices:
                await _in_thread(self.change_plan, sub["id"], form["price"])
        return RedirectResponse(f"/portal/{portal['id']}", status_code=303)

    # ---- what happens at Stripe -----------------------------------------------------------------------------

    def complete_checkout(self, session_id: str, *, deliver: bool = True) -> list[dict[str, Any]]:
        """The buyer paid: payment mode → charge.succeeded, checkout.session.completed; subscription mode →
        customer.subscription.created, invoice.paid, checkout.session.completed."""
        with self._lock:
            session = self.sessions[session_id]
            private = self._private[session_id]
            if session["status"] == "complete":
                raise ValueError(f"{session_id} is already complete")
            session.update(status="complete", payment_status="paid")
            events = []
            if session["mode"] == "payment":
                pi = _new_id("pi")
                charge = self._charge(pi, session["amount_total"], session["customer"],
                                      dict(dig(private, "payment_intent_data", "metadata") or {}))
                session["payment_intent"] = pi
                events.append(self.event("charge.succeeded", charge))
            else:
                sub = self._subscription(session["customer"], private["price"],
                                         dict(dig(private, "subscription_data", "metadata") or {}))
                invoice = self._invoice(sub, "subscription_create", paid=True)
                session.update(subscription=sub["id"], invoice=invoice["id"])
                events += [self.event("customer.subscription.created", sub), self.event("invoice.paid", invoice)]
            events.append(self.event("checkout.session.completed", session))
        return self._maybe_deliver(events, deliver)

    def expire_checkout(self, session_id: str, *, deliver: bool = True) -> list[dict[str, Any]]:
        with self._lock:
            session = self.sessions[session_id]
            session["status"] = "expired"
            events = [self.event("checkout.session.expired", session)]
        return self._maybe_deliver(events, deliver)

    def renew(self, sub_id: str, *, deliver: bool = True) -> list[dict[str, Any]]:
        """The next period starts and its invoice is paid."""
        with self._lock:
            sub = self.subscriptions[sub_id]
            self._advance(sub)
            sub["status"] = "active"
            invoice = self._invoice(sub, "subscription_cycle", paid=True)
            events = [self.event("invoice.paid", invoice), self.event("customer.subscription.updated", sub)]
        return self._maybe_deliver(events, deliver)

    def fail_payment(self, sub_id: str, *, deliver: bool = True) -> list[dict[str, Any]]:
        """The next period's invoice can't be paid: the subscription goes past_due."""
        with self._lock:
            sub = self.subscriptions[sub_id]
            self._advance(sub)
            sub["status"] = "past_due"
            invoice = self._invoice(sub, "subscription_cycle", paid=False)
            events = [self.event("invoice.payment_failed", invoice), self.event("customer.subscription.updated", sub)]
        return self._maybe_deliver(events, deliver)

    def pay_open_invoice(self, sub_id: str, *, deliver: bool = True) -> list[dict[str, Any]]:
        """A retry of the failed invoice succeeds (e.g. after a card update in the portal)."""
        with self._lock:
            sub = self.subscriptions[sub_id]
            invoice = self.invoices[sub["latest_invoice"]]
            invoice.update(status="paid", amount_paid=invoice["amount_due"], attempted=True)
            sub["status"] = "active"
            events = [self.event("invoice.paid", invoice), self.event("customer.subscription.updated", sub)]
        return self._maybe_deliver(events, deliver)

    def cancel_subscription(self, sub_id: str, *, at_period_end: bool = False,
                            deliver: bool = True) -> list[dict[str, Any]]:
        with self._lock:
            sub = self.subscriptions[sub_id]
            if at_period_end:
                sub["cancel_at_period_end"] = True
                sub["cancel_at"] = sub["items"]["data"][0]["current_period_end"]
                events = [self.event("customer.subscription.updated", sub)]
            else:
                sub.update(status="canceled", canceled_at=self.now(), ended_at=self.now())
                events = [self.event("customer.subscription.deleted", sub)]
        return self._maybe_deliver(events, deliver)

    def end_period(self, sub_id: str, *, deliver: bool = True) -> list[dict[str, Any]]:
        """The period of a subscription set to cancel at its end runs out."""
        with self._lock:
            sub = self.subscriptions[sub_id]
            assert sub["cancel_at_period_end"], "only a subscription cancelling at period end ends here"
            sub.update(status="canceled", canceled_at=self.now(), ended_at=self.now())
            events = [self.event("customer.subscription.deleted", sub)]
        return self._maybe_deliver(events, deliver)

    def change_plan(self, sub_id: str, price_id: str, *, deliver: bool = True) -> list[dict[str, Any]]:
        with self._lock:
            sub = self.subscriptions[sub_id]
            sub["items"]["data"][0]["price"] = self._price(price_id)
            events = [self.event("customer.subscription.updated", sub)]
        return self._maybe_deliver(events, deliver)

    def refund(self, payment_intent: str, amount: int | None = None, *, deliver: bool = True) -> list[dict[str, Any]]:
        """Refund (part of) a pack's charge: charge.refunded with the cumulative amount_refunded."""
        with self._lock:
            charge = self.charges[payment_intent]
            left = charge["amount"] - charge["amount_refunded"]
            charge["amount_refunded"] += min(left, amount if amount is not None else left)
            charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
            events = [self.event("charge.refunded", charge)]
        return self._maybe_deliver(events, deliver)

    # ---- building objects -----------------------------------------------------------------------------------

    def _price(self, price_id: str) -> dict[str, Any]:
        amount, interval = self.prices[price_id]
        return {"id": price_id, "object": "price", "unit_amount": amount, "currency": "usd",
                "recurring": {"interval": interval, "interval_count": 1} if interval else None,
                "type": "recurring" if interval else "one_time", "product": f"prod_{price_id}"}

    def _charge(self, pi: str, amount: int, customer: str | None, meta: dict[str, Any]) -> dict[str, Any]:
        charge_id = _new_id("ch")
        charge = {"id": charge_id, "object": "charge", "amount": amount, "amount_captured": amount,
                  "amount_refunded": 0, "refunded": False, "paid": True, "status": "succeeded", "currency": "usd",
                  "customer": customer, "payment_intent": pi, "metadata": meta, "created": self.now(),
                  "receipt_url": f"{self.base_url}/receipts/{charge_id}", "livemode": False}
        self.charges[pi] = charge
        return charge

    def _subscription(self, customer: str, price_id: str, meta: dict[str, Any]) -> dict[str, Any]:
        sub_id = _new_id("sub")
        start = self.now()
        interval = self.prices[price_id][1] or "month"
        sub = {"id": sub_id, "object": "subscription", "customer": customer, "status": "active",
               "cancel_at_period_end": False, "cancel_at": None, "canceled_at": None, "ended_at": None,
               "created": start, "start_date": start, "metadata": meta, "latest_invoice": None, "livemode": False,
               "items": {"object": "list", "data": [{
                   "id": _new_id("si"), "object": "subscription_item", "price": self._price(price_id), "quantity": 1,
                   "current_period_start": start, "current_period_end": start + INTERVAL_SECONDS[interval]}]}}
        self.subscriptions[sub_id] = sub
        return sub

    def _advance(self, sub: dict[str, Any]) -> None:
        item = sub["items"]["data"][0]
        length = INTERVAL_SECONDS[item["price"]["recurring"]["interval"]]
        item["current_period_start"] = item["current_period_end"]
        item["current_period_end"] = item["current_period_start"] + length

    def _invoice(self, sub: dict[str, Any], reason: str, *, paid: bool) -> dict[str, Any]:
        item = sub["items"]["data"][0]
        price = item["price"]
        invoice_id = _new_id("in")
        invoice = {
            "id": invoice_id, "object": "invoice", "customer": sub["customer"], "status": "paid" if paid else "open",
            "billing_reason": reason, "amount_due": price["unit_amount"],
            "amount_paid": price["unit_amount"] if paid else 0, "currency": "usd", "attempted": True,
            "number": f"EMU-{len(self.invoices) + 1:04d}", "created": self.now(),
            "hosted_invoice_url": f"{self.base_url}/invoices/{invoice_id}", "livemode": False,
            "period_start": item["current_period_start"], "period_end": item["current_period_end"],
            "parent": {"type": "subscription_details", "quote_details": None,
                       "subscription_details": {"subscription": sub["id"], "metadata": dict(sub["metadata"])}},
            "lines": {"object": "list", "data": [{
                "id": _new_id("il"), "object": "line_item", "amount": price["unit_amount"], "currency": "usd",
                "period": {"start": item["current_period_start"], "end": item["current_period_end"]},
                "pricing": {"type": "price_details",
                            "price_details": {"price": price["id"], "product": price["product"]}},
                "quantity": 1}]},
        }
        self.invoices[invoice_id] = invoice
        sub["latest_invoice"] = invoice_id
        return invoice

    # ---- events and webhooks --------------------------------------------------------------------------------

    def event(self, type_: str, obj: dict[str, Any], *, created: int | None = None) -> dict[str, Any]:
        """An event carrying a snapshot of `obj` as it is now."""
        return {"id": _new_id("evt"), "object": "event", "api_version": API_VERSION,
                "created": created if created is not None else self.now(), "data": {"object": copy.deepcopy(obj)},
                "livemode": False, "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
                "type": type_}

    def sign(self, body: bytes, *, timestamp: int | None = None, secret: str | None = None) -> str:
        t = int(time.time()) if timestamp is None else timestamp
        mac = hmac.new((secret or self.webhook_secret).encode(), f"{t}.".encode() + body, hashlib.sha256)
        return f"t={t},v1={mac.hexdigest()}"

    def send(self, event: dict[str, Any], *, timestamp: int | None = None, secret: str | None = None,
             signature: str | None = None, body: bytes | None = None) -> httpx.Response:
        """POST one event as Stripe does. `signature` replaces the header; `body` replaces the signed body
        (sign one thing, send another)."""
        assert self.webhook_url, "set webhook_url first"
        signed = json.dumps(event, indent=2).encode()
        header = signature if signature is not None else self.sign(signed, timestamp=timestamp, secret=secret)
        response = httpx.post(self.webhook_url, content=body if body is not None else signed, timeout=30,
                              headers={"Stripe-Signature": header, "Content-Type": "application/json; charset=utf-8",
                                       "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"})
        with self._lock:
            self.deliveries.append(Delivery(event, response.status_code, response.text))
        return response

    def deliver(self, events: list[dict[str, Any]]) -> list[int]:
        """Send events in the given order (repeat one to deliver it twice); the status codes."""
        return [self.send(event).status_code for event in events]

    def _maybe_deliver(self, events: list[dict[str, Any]], deliver: bool) -> list[dict[str, Any]]:
        if deliver and self.webhook_url:
            codes = self.deliver(events)
            assert all(code == 200 for code in codes), [(d.event["type"], d.status_code, d.body)
                                                        for d in self.deliveries[-len(events):]]
        return events


def dig(obj: Any, *path: str) -> Any:
    for step in path:
        obj = obj.get(step) if isinstance(obj, dict) else None
    return obj


async def _in_thread(fn: Any, *args: Any, **kwargs: Any) -> Any:
    import asyncio

    return await asyncio.to_thread(fn, *args, **kwargs)
