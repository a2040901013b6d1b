"""Every setting Palett reads, in one place (environment variables and `.env`).

The embedded default (no variables at all) runs on SQLite, a local media folder
and a dev mail outbox. Production mode (`PALETT_ENV=production`) refuses to start
with a missing or default secret.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal, NamedTuple

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRETS = {"", "changeme", "change-me", "secret", "dev", "palett"}
JOB_EVENTS_CONNECTIONS = 1  # services/generation/job_events.py: one LISTEN connection per process, outside the pools
MIN_DB_SHARE = 8 + JOB_EVENTS_CONNECTIONS  # a worker's least: 3 for SQLAlchemy, 3 + 2 for procrastinate


class PoolSizes(NamedTuple):
    """PostgreSQL connections one process may hold, per pool (Settings.db_pool_sizes)."""

    engine: int  # SQLAlchemy
    queue: int  # procrastinate's async pool (workers run jobs on it); 0 without DISPATCH=worker
    defer: int  # procrastinate's sync pool, for deferring jobs and webhook deliveries; 0 likewise


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    palett_env: Literal["development", "production"] = "development"
    data_dir: Path = Path("data")
    # Where people reach the app; used in e-mailed links and OAuth redirects. Its origin is the one
    # trusted origin (plus ALLOWED_ORIGINS). Empty = http://localhost:<the port the app listens on>.
    public_url: str = ""
    # The port the app listens on: PALETT_PORT (rxconfig, Makefile), else PORT, else 3000.
    palett_port: int | None = None
    port: int | None = None
    # More origins that may send credentialed requests and open the /_event websocket (comma-separated).
    allowed_origins: str = ""
    # Reverse proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For / Forwarded headers are believed.
    trusted_proxies: str = ""
    secret_key: str = ""
    database_url: str = ""
    redis_url: str = ""
    sentry_dsn: str = ""
    # Logs: "json" (one object a line, with request/user/job ids) or "text"; default json in production.
    log_format: Literal["json", "text", ""] = ""
    release: str = ""  # reported to Sentry; e.g. the git commit being deployed
    metrics_token: str = ""  # /api/metrics answers only `Authorization: Bearer <token>`; unset = no endpoint

    # Accounts
    signup_credits: int = 10
    session_days: int = 30
    verify_token_hours: int = 24
    reset_token_minutes: int = 60
    login_attempts: str = "5/15 minutes"  # sign-in attempts per account
    # Sign-in attempts per IP, successful ones included (the count is taken before the password check).
    login_attempts_per_ip: str = "30/15 minutes"
    signup_limit_per_ip: str = "20/hour"
    mail_limit_per_address: str = "5/hour"  # sign-up, verification and reset mails to one address
    mail_limit_per_ip: str = "20/hour"  # resend-verification and forgot-password requests
    admin_emails: str = ""

    # Mail: SMTP when SMTP_HOST is set, else the dev outbox under data/outbox.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    mail_from: str = "Palett AI <hello@palett.local>"

    # OAuth: a provider's button appears only when its id and secret are set.
    google_client_id: str = ""
    google_client_secret: str = ""
    google_metadata_url: str = "https://accounts.google.com/.well-known/openid-configuration"
    github_client_id: str = ""
    github_client_secret: str = ""
    github_authorize_url: str = "https://github.com/login/oauth/authorize"
    github_token_url: str = "https://github.com/login/oauth/access_token"
    github_api_url: str = "https://api.github.com"

    # Image providers: Fal when FAL_KEY is set, OpenAI when OPENAI_API_KEY is set; the local engine always.
    fal_key: str = ""
    fal_webhooks: bool = False  # ask Fal to call PUBLIC_URL/api/webhooks/fal (needs a public URL)
    fal_jwks_url: str = "https://rest.alpha.fal.ai/.well-known/jwks.json"
    fal_jwks_ttl_seconds: float = 3600
    # Our Fal user id: webhooks signed for any other Fal account are refused (unset: accepted with a
    # warning in development, refused in production).
    fal_webhook_user_id: str = ""
    openai_api_key: str = ""
    openai_base_url: str = ""

    # Jobs
    dispatch: Literal["inprocess", "worker"] = "inprocess"  # worker = procrastinate on PostgreSQL
    # PostgreSQL connections: the total this deploy may open (keep it under the server's max_connections minus
    # what admins and backups need) and how many processes share it (web processes + workers, every machine).
    # Each process's pools are sized from its share, with no overflow, so the sum can never exceed the budget.
    db_connection_budget: int = 60
    db_processes: int = 1
    worker_concurrency: int = 10
    worker_heartbeat_seconds: float = 10
    worker_stalled_seconds: float = 30  # a worker silent this long is taken as dead; its jobs are requeued
    job_timeout_seconds: int = 600
    sweep_interval_seconds: int = 30
    rate_limit_free: str = "10/hour"
    rate_limit_pro: str = "100/hour"
    rate_limit_premium: str = "300/hour"
    api_key_rate_limit: str = "120/minute"  # requests per API key to /api/v1 (generations also count per plan)
    rate_limit_key_prefix: str = "palett"  # Redis key prefix of every limit (several apps on one Redis)
    max_output_bytes: int = 50 * 1024 * 1024
    max_output_pixels: int = 40_000_000
    # Hosts the server may fetch from even though they resolve to private addresses (local emulators).
    ssrf_allow_hosts: str = ""
    # Outgoing webhooks (public API): each attempt waits this long for an answer.
    webhook_timeout_seconds: float = 10
    # Let webhook URLs point at loopback (127.0.0.0/8, ::1): local receivers in tests and on a laptop.
    # Ignored in production; private and metadata addresses stay refused either way.
    webhook_allow_loopback: bool = False

    # Media: a local folder under data/ unless S3_BUCKET is set.
    s3_bucket: str = ""
    s3_region: str = "us-east-1"
    s3_endpoint_url: str = ""
    media_url_seconds: int = 3600
    max_upload_bytes: int = 20 * 1024 * 1024
    max_upload_pixels: int = 40_000_000

    # Billing (Stripe): payments are on when STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET are both set
    # (services.billing.billing_enabled); a product is offered only when its price id is set.
    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""  # whsec_... of the endpoint PUBLIC_URL/api/webhooks/stripe
    stripe_api_base: str = ""  # empty = https://api.stripe.com; http://127.0.0.1:PORT for the test emulator
    stripe_webhook_tolerance_seconds: int = 300  # signatures older or newer than this are refused
    stripe_price_starter: str = ""
    stripe_price_creator: str = ""
    stripe_price_professional: str = ""
    stripe_price_pro_monthly: str = ""
    stripe_price_pro_yearly: str = ""
    stripe_price_premium_monthly: str = ""
    stripe_price_premium_yearly: str = ""
    premium_fair_use: int = 2000  # Premium: credits' worth of generations per month without using credits
    pro_basic_fair_use: int = 500  # Pro: basic tools (billing.catalog.BASIC_OPERATIONS) per month without credits


    @property
    def production(self) -> bool:
        return self.palett_env == "production"

    @property
    def listen_port(self) -> int:
        return self.palett_port or self.port or 3000

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'palett.db').as_posix()}"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://") or self.production

    @property
    def google_enabled(self) -> bool:
        return bool(self.google_client_id and self.google_client_secret)

    @property
    def github_enabled(self) -> bool:
        return bool(self.github_client_id and self.github_client_secret)

    @property
    def admin_email_set(self) -> set[str]:
        return {e.strip().lower() for e in self.admin_emails.split(",") if e.strip()}

    @property
    def db_pool_sizes(self) -> PoolSizes:
        """This process's pools, from its share of the connection budget, so that the sum over DB_PROCESSES
        processes stays within DB_CONNECTION_BUDGET: SQLAlchemy's pool, with DISPATCH=worker procrastinate's
        async pool (a worker runs jobs on it; procrastinate keeps one connection for LISTEN and needs others
        to fetch and finish jobs) and its small sync pool (any process defers jobs and webhook deliveries
        through it), and the one connection a process may keep LISTENing for job events."""
        share = max(MIN_DB_SHARE, self.db_connection_budget // max(1, self.db_processes))
        queue, defer = (max(3, share // 4), max(2, share // 8)) if self.dispatch == "worker" else (0, 0)
        return PoolSizes(share - queue - defer - JOB_EVENTS_CONNECTIONS, queue, defer)

    @property
    def shared_database(self) -> bool:
        """PostgreSQL is what several processes or machines share: they must share one secret too."""
        return self.db_url.startswith("postgres")

    @model_validator(mode="after")
    def _public_url(self) -> Settings:
        if not self.public_url.strip():
            self.public_url = f"http://localhost:{self.listen_port}"
        return self

    @model_validator(mode="after")
    def _secret(self) -> Settings:
        # A secret generated under data/ differs per machine: sessions, media links and OAuth state signed on
        # one machine would fail on the next. So it is only for the embedded default.
        needs_own = "production mode" if self.production else "PostgreSQL" if self.shared_database else ""
        if self.secret_key.strip().lower() in DEFAULT_SECRETS:
            if needs_own:
                raise ValueError(f"SECRET_KEY is missing or a default value; {needs_own} needs a long random "
                                 "secret shared by every process: python -c 'import secrets; "
                                 "print(secrets.token_urlsafe(48))'")
            self.secret_key = _embedded_secret(self.data_dir)
        if needs_own and len(self.secret_key) < 32:
            raise ValueError(f"SECRET_KEY must be at least 32 characters with {needs_own}")
        return self


def _embedded_secret(data_dir: Path) -> str:
    """Create a random secret once and keep it under data/ (embedded default only)."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
