"""Errors a person can act on. Each has a stable code (used in redirects) and a short message."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    "invalid_email": "That doesn't look like an email address.",
    "weak_password": "Choose a password of at least 10 characters that isn't a common one.",
    "password_mismatch": "The two passwords don't match.",
    "bad_credentials": "Wrong email or password.",
    "unverified": "Please verify your email first. We've sent you a new link.",
    "disabled": "This account is disabled. Contact support if you think this is a mistake.",
    "throttled": "Too many attempts. Try again in {minutes} minutes.",
    "token_invalid": "This link is invalid or was already used. Ask for a new one.",
    "token_expired": "This link has expired. Ask for a new one.",
    "wrong_password": "Your current password is wrong.",
    "signed_out": "Please sign in to continue.",
    "forbidden": "That request was refused.",
    "oauth_failed": "Signing in with {provider} didn't work. Please try again.",
    "oauth_state": "That sign-in link was stale or forged. Please start again.",
    "oauth_unavailable": "{provider} isn't reachable right now. Try again in a moment, or use your password.",
    "oauth_no_email": "{provider} didn't share a verified email address with us.",
    "oauth_unverified_email": (
        "An account with this email exists, but {provider} hasn't verified the address. "
        "Sign in with your password, then connect {provider} from Settings."
    ),
    "oauth_taken": "That {provider} account is already connected to another Palett account.",
    "name_invalid": "Use a display name of 1 to 80 characters.",
    "confirm_delete": "Type DELETE to confirm.",
    "invalid_input": "Check {field}: {detail}.",
    "unsupported": "{model} doesn't support {what}.",
    "unknown_model": "That model isn't available. Pick another one.",
    "model_unavailable": "{model} isn't available on this server. Pick another model.",
    "no_credits": "This needs {cost} credits and you have {balance}. Buy a pack or lower the number of images.",
    "rate_limited": "You've reached your limit of {limit}. Try again in {minutes} minutes.",
    "too_large_output": "That would make a {width} × {height} image; the limit is {limit} pixels per side.",
    "mask_invalid": "The mask didn't match the image. Clear it and paint again.",
    "mask_empty": "Paint over the area to change first.",
    "prompt_tool_failed": "{tool} didn't work: {reason} You were not charged.",
    "upload_empty": "That file is empty.",
    "upload_too_big": "That file is over {limit_mb} MB.",
    "upload_unsupported": "That isn't a {formats} image.",
    "upload_too_many_pixels": (
        "That image is too large: {width} × {height} pixels; the limit is {megapixels} megapixels."
    ),
    "upload_damaged": "That image is damaged or incomplete.",
    "upload_animated": "Animated images aren't supported; upload a still frame.",
    "upload_missing": "Choose an image file to upload.",
    "collection_not_found": "That collection doesn't exist or isn't yours.",
    "collection_name_invalid": "Use a collection name of 1 to {limit} characters.",
    "collection_exists": "You already have a collection called “{name}”.",
    "too_many_selected": "Select at most {limit} images at a time.",
    "page_expired": "The gallery changed while you were away. Reload it to carry on.",
    "image_not_found": "That image doesn't exist or isn't yours.",
    "job_not_found": "That job doesn't exist or isn't yours.",
    "webhook_not_found": "That webhook endpoint or delivery doesn't exist or isn't yours.",
    "last_login_method": "Set a password or keep another connected account before removing this one.",
    "billing_disabled": "Payments aren't set up on this server, so nothing can be bought here yet.",
    "unknown_product": "That plan or pack doesn't exist. Pick one on the pricing page.",
    "product_unavailable": "The {product} isn't on sale right now.",
    "already_subscribed": "You already have a subscription. Change or cancel it with Manage subscription.",
    "no_billing_account": "There's nothing to manage yet: you haven't bought a plan or a pack.",
    "subscription_cancel_failed": ("We couldn't cancel your subscription with our payment provider, so your "
                                   "account was not deleted. Try again in a minute."),
    "payment_provider_error": "We couldn't reach our payment provider. Nothing was charged; try again in a moment.",
    "reason_required": "Give a reason of 3 to {limit} characters; it is kept in the ledger and the audit log.",
    "adjust_invalid": "Enter a whole number of credits other than 0 (at most 1,000,000 either way).",
    "adjust_below_zero": "That would take the balance below zero; it is {balance} now.",
    "admin_self": "You can't disable your own account.",
    "user_not_found": "That user doesn't exist.",
    "job_not_retryable": "Only failed or cancelled jobs can be retried.",
    "already_refunded": "That job's credits were already given back.",
    "try_again_shortly": "We can't take that right now. Try again shortly.",
    "db_unavailable": "Couldn't save that — try again; nothing was charged.",
    "nothing_to_refund": "That job used no credits, so there's nothing to refund.",
}

NOTICES: dict[str, str] = {
    "verified": "Your email is verified. Welcome to Palett!",
    "check_email": "Check your inbox: we sent you a link to verify your email.",
    "reset_sent": "If an account exists for that email, a reset link is on its way.",
    "password_reset": "Your password was changed. Sign in with the new one.",
    "password_changed": "Password changed. Other devices were signed out.",
    "signed_out_all": "You were signed out of every other device.",
    "deleted": "Your account and everything in it were deleted.",
    "bye": "You're signed out. See you soon.",
    "linked": "Account connected.",
    "unlinked": "Account disconnected.",
    "profile_saved": "Saved.",
    "verify_sent": "We sent a new verification link.",
    "payment_received": "Payment received: your credits were added.",
    "payment_pending": "Payment received by Stripe; your credits appear as soon as it's confirmed.",
    "checkout_cancelled": "Checkout cancelled. Nothing was charged.",
}


class UserError(Exception):
    """A failure the user caused or can fix; `code` maps to a message in MESSAGES."""

    def __init__(self, code: str, **params: str | int) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        return message_for(self.code, self.params)


def message_for(code: str, params: dict[str, str | int] | None = None) -> str:
    template = MESSAGES.get(code) or NOTICES.get(code) or ""
    try:
        return template.format(**(params or {}))
    except (KeyError, IndexError):
        return template.split("{")[0].strip()
