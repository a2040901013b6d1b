"""Seed a demo account full of images, for trying the library and for the gallery benchmark.

    .venv/bin/python scripts/seed_demo.py                       # demo@palett.local with 200 images
    .venv/bin/python scripts/seed_demo.py --images 10000        # a heavy user
    .venv/bin/python scripts/seed_demo.py --images 10000 --others 90000   # plus other people's rows
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/palett .venv/bin/python scripts/seed_demo.py

Works on SQLite (the embedded default, under DATA_DIR) and PostgreSQL (DATABASE_URL); it runs the
migrations first (`--no-migrate` skips that). The demo user signs in with email + the password printed at
the end (a new random one each run, or --password); running it again adds more images to the same user.

Fast on purpose, so 10,000 images take seconds:
- Only `--files` distinct pictures (default 24, in four aspect ratios) are rendered, by the local engine
  at 256 px, and stored through the app's storage as a real PNG + WebP thumbnail. Image rows SHARE these
  files round-robin (other users get byte copies under their own prefix). Deleting a seeded image from the
  gallery keeps a shared file while another row still uses it.
- Rows are inserted in bulk (Core executemany, 5,000 per statement), not one ORM object at a time.
- Prompts come from a small vocabulary (so searches have realistic selectivity), models and operations
  follow a plausible mix, dates spread over the last --days days; some images are starred, public (with a
  share token and likes) or in collections. Demo jobs get Job rows and matching ledger rows (reserve, then
  capture or refund) so usage history and its charts have data; the balance still equals the ledger.
"""

from __future__ import annotations

import argparse
import random
import secrets
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEMO_EMAIL = "demo@palett.local"
BATCH = 5000

ADJECTIVES = ("misty", "golden", "neon", "quiet", "stormy", "ancient", "tiny", "giant", "frozen", "sunlit",
              "velvet", "crystal", "rusty", "floating", "hidden", "glowing", "autumn", "midnight", "pastel",
              "electric", "serene", "wild", "forgotten", "lush", "dusty", "silver", "crimson", "emerald")
SUBJECTS = ("lighthouse", "fox", "castle", "robot", "whale", "forest", "mountain lake", "city street",
            "dragon", "teapot", "astronaut", "sailboat", "library", "cat", "owl", "bridge", "desert", "garden",
            "train station", "jellyfish", "cathedral", "cabin", "waterfall", "market", "violin", "greenhouse",
            "submarine", "bicycle", "hot air balloon", "koi pond", "windmill", "observatory", "tram", "orchid",
            "canyon", "harbour", "tiger", "glacier", "bakery", "samurai")
SETTINGS = ("at dawn", "at dusk", "in the rain", "under the stars", "in fog", "by the sea", "in winter",
            "at golden hour", "in a snow globe", "on Mars", "in a dream", "after the storm", "in spring",
            "at night", "in the clouds", "underwater", "in the jungle", "on a rooftop")
STYLES = ("oil painting", "watercolor", "cinematic photo", "35mm film", "isometric render", "pixel art",
          "studio ghibli style", "ukiyo-e print", "pencil sketch", "low poly", "art nouveau poster",
          "macro photograph", "claymation", "vaporwave", "charcoal drawing", "stained glass")
RARE = ("axolotl", "zeppelin", "quokka", "narwhal", "tardigrade")  # about 1 prompt in 200 has one
NEGATIVE = ("blurry", "text, watermark", "extra fingers", "low quality", "oversaturated")

# (operation, model, credits per image, has a prompt, weight)
MIX: Sequence[tuple[str, str, int, bool, int]] = (
    ("t2i", "flux-dev", 1, True, 22), ("t2i", "flux-pro-ultra", 1, True, 10), ("t2i", "nano-banana-2", 1, True, 8),
    ("t2i", "ideogram3", 1, True, 5), ("t2i", "gpt-image", 1, True, 5), ("t2i", "local-preview", 1, True, 12),
    ("i2i", "flux-i2i", 2, True, 6), ("i2i", "local-i2i", 2, True, 3), ("upscale", "esrgan", 1, False, 6),
    ("bg_remove", "birefnet", 1, False, 5), ("bg_replace", "bria-replace", 2, True, 3),
    ("inpaint", "flux-fill", 2, True, 3), ("outpaint", "flux-fill-outpaint", 2, True, 2),
    ("style", "flux-style", 2, False, 3), ("restore", "codeformer", 1, False, 2), ("upload", "", 0, False, 5),
)
PROVIDERS = {"gpt-image": "openai"}
SIZES = ((256, 256), (256, 192), (192, 256), (256, 144))


@dataclass(frozen=True)
class StoredFile:
    key: str
    thumb: str
    width: int
    height: int


@dataclass
class Seeded:
    user_id: int
    images: int
    jobs: int
    password: str | None = None


def prompt(rng: random.Random) -> str:
    words = [rng.choice(ADJECTIVES), rng.choice(SUBJECTS), rng.choice(SETTINGS)]
    if rng.random() < 0.005:
        words.insert(1, rng.choice(RARE))
    return f"{' '.join(words)}, {rng.choice(STYLES)}"


def render_files(user_id: int, count: int, rng: random.Random) -> list[StoredFile]:
    """`count` small local-engine pictures stored as PNG + WebP thumbnail under the user's prefix."""
    from palett.services.generation.local_ops import engine as local_engine
    from palett.services.media import images
    from palett.services.media.storage import get_storage, new_key

    storage, files = get_storage(), []
    for i in range(count):
        width, height = SIZES[i % len(SIZES)]
        picture = local_engine.render(prompt(rng), rng.randrange(2**31), width, height)
        png = images.to_png(picture, {"Software": "Palett AI demo seed (local engine, not AI)"})
        key = new_key(user_id, "png")
        thumb_key = key.rsplit(".", 1)[0] + "-thumb.webp"
        thumb, _, _ = images.thumbnail_webp(png)
        storage.put(key, png, "image/png")
        storage.put(thumb_key, thumb, "image/webp")
        files.append(StoredFile(key, thumb_key, width, height))
    return files


def copy_files(files: Sequence[StoredFile], user_id: int, count: int) -> list[StoredFile]:
    """Byte copies of a few stored files under another user's prefix (no re-rendering)."""
    from palett.services.media.storage import get_storage, new_key

    storage, copies = get_storage(), []
    for source in files[:count]:
        key = new_key(user_id, "png")
        thumb = key.rsplit(".", 1)[0] + "-thumb.webp"
        storage.put(key, storage.get(source.key), "image/png")
        storage.put(thumb, storage.get(source.thumb), "image/webp")
        copies.append(StoredFile(key, thumb, source.width, source.height))
    return copies


def ensure_user(email: str, password: str | None, name: str) -> int:
    from palett.models import User
    from palett.services.accounts import users as accounts
    from palett.services.accounts.security import hash_password
    from palett.services.common.db import session_scope

    with session_scope() as db:
        user = accounts.by_email(db, email)
        if user is None:
            user = accounts.create_user(db, email=email, name=name, verified=True, password=password)
        elif password:
            user.password_hash = hash_password(password)
            db.add(user)
        assert isinstance(user, User) and user.id is not None
        return user.id


def _times(rng: random.Random, count: int, days: int, end: datetime) -> list[datetime]:
    """`count` moments over the last `days` days, oldest first, never two equal (ids still break ties)."""
    span = days * 86400
    return sorted(end - timedelta(seconds=rng.uniform(0, span)) for _ in range(count))


def _mix(rng: random.Random) -> tuple[str, str, int, bool]:
    operation, model, per_image, prompted, _ = rng.choices(MIX, weights=[m[4] for m in MIX])[0]
    return operation, model, per_image, prompted


def seed_user_images(user_id: int, count: int, files: Sequence[StoredFile], rng: random.Random, *,
                     days: int = 365, with_jobs: bool = True, public_share: float = 0.05) -> tuple[int, int]:
    """Insert `count` image rows for one user (and, with_jobs, their Job + ledger rows). Returns (images, jobs)."""
    from sqlalchemy import insert, update

    from palett.models import CreditTransaction, GeneratedImage, Job, User
    from palett.services.common.db import get_engine

    images_t, jobs_t = GeneratedImage.__table__, Job.__table__  # type: ignore[attr-defined]
    now = datetime.now().astimezone()
    engine = get_engine()
    made_images = made_jobs = 0
    for chunk_start in range(0, count, BATCH):
        n = min(BATCH, count - chunk_start)
        moments = _times(rng, n, days, now)
        jobs: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []
        for created in moments:
            operation, model, per_image, prompted = _mix(rng)
            text = prompt(rng) if prompted else ""
            if operation == "upload":
                text = f"IMG_{rng.randrange(1000, 9999)}.jpg"
            file = files[rng.randrange(len(files))]
            seed = rng.randrange(2**31) if operation in ("t2i", "i2i", "inpaint") else None
            negative = rng.choice(NEGATIVE) if operation == "t2i" and rng.random() < 0.2 else None
            public = rng.random() < public_share
            params = {"model": model, "prompt": text, "num_images": 1} if operation != "upload" else {}
            provider = "local" if model.startswith("local") else PROVIDERS.get(model, "fal" if model else "")
            job_index = None
            if with_jobs and operation != "upload":
                if rng.random() < 0.06:  # now and then a job failed (refunded) before this one worked
                    jobs.append(_job(user_id, operation, model, provider, params, per_image, created, rng,
                                     failed=True))
                jobs.append(_job(user_id, operation, model, provider, params, per_image, created, rng))
                job_index = len(jobs) - 1
            rows.append({
                "user_id": user_id, "prompt": text, "negative_prompt": negative, "job_id": job_index,
                "model": model, "image_url": file.key, "thumbnail_url": file.thumb, "width": file.width,
                "height": file.height, "seed": seed, "steps": 28 if model == "flux-dev" else None,
                "guidance": 3.5 if model == "flux-dev" else None, "style": None, "operation": operation,
                "original_image_url": None,
                "recipe": {"params": params, "provider": provider, "demo": True} if params else {"source": "upload"},
                "is_public": public, "share_token": secrets.token_urlsafe(16) if public else None,
                "favorite": rng.random() < 0.08, "likes": rng.randrange(0, 40) if public else 0,
                "created_at": created,
            })
        with engine.begin() as conn:
            job_ids: list[int] = []
            if jobs:
                result = conn.execute(insert(jobs_t).returning(jobs_t.c.id, sort_by_parameter_order=True), jobs)
                job_ids = [r[0] for r in result]
                _ledger(conn, user_id, jobs, job_ids, CreditTransaction, User, update)
            for row in rows:
                row["metadata"] = row.pop("recipe")
                row["job_id"] = job_ids[row["job_id"]] if row["job_id"] is not None else None
            for start in range(0, len(rows), BATCH):
                conn.execute(insert(images_t), rows[start:start + BATCH])
        made_images += len(rows)
        made_jobs += len(jobs)
    return made_images, made_jobs


def _job(user_id: int, operation: str, model: str, provider: str, params: dict[str, Any], cost: int,
         created: datetime, rng: random.Random, *, failed: bool = False) -> dict[str, Any]:
    if failed:
        created -= timedelta(seconds=rng.uniform(30, 600))
    return {
        "user_id": user_id, "batch_id": None, "operation": operation, "model": model, "provider": provider,
        "params": params, "status": "failed" if failed else "succeeded", "progress": 1.0, "queue_position": None,
        "logs": [], "provider_request_id": None, "cost": cost, "charged": 0 if failed else cost,
        "error": "The provider timed out." if failed else None, "priority": 0, "attempts": 1,
        "created_at": created, "started_at": created + timedelta(seconds=0.2),
        "finished_at": created + timedelta(seconds=rng.uniform(1.5, 14)), "deadline_at": None,
    }


def _ledger(conn: Any, user_id: int, jobs: list[dict[str, Any]], job_ids: list[int], ledger_model: Any,
            user_model: Any, update: Any) -> None:
    """Reserve + capture/refund rows for seeded jobs, with running balances; the balance stays = the ledger."""
    from sqlalchemy import insert, select

    users_t, ledger_t = user_model.__table__, ledger_model.__table__
    balance = conn.execute(select(users_t.c.credits).where(users_t.c.id == user_id)).scalar_one()
    top_up = sum(j["cost"] for j in jobs)
    rows = []
    first = jobs[0]["created_at"] - timedelta(seconds=1)
    balance += top_up
    rows.append({"user_id": user_id, "delta": top_up, "balance_after": balance, "kind": "admin_adjust",
                 "reference": "Demo seed credits", "idempotency_key": f"demo-seed:{user_id}:{job_ids[0]}",
                 "created_at": first})
    for job, job_id in zip(jobs, job_ids, strict=True):
        balance -= job["cost"]
        rows.append({"user_id": user_id, "delta": -job["cost"], "balance_after": balance, "kind": "reserve",
                     "reference": f"{job['model']} · job #{job_id}", "idempotency_key": f"job:{job_id}:reserve",
                     "created_at": job["created_at"]})
        back = job["cost"] - job["charged"]
        balance += back
        kind = "capture" if job["status"] == "succeeded" else "refund"
        rows.append({"user_id": user_id, "delta": back, "balance_after": balance, "kind": kind,
                     "reference": f"{'Captured' if kind == 'capture' else 'Refunded'} · job #{job_id}",
                     "idempotency_key": f"job:{job_id}:settle", "created_at": job["finished_at"]})
    for start in range(0, len(rows), BATCH):
        conn.execute(insert(ledger_t), rows[start:start + BATCH])
    conn.execute(update(users_t).where(users_t.c.id == user_id).values(credits=balance))


def seed_collections(user_id: int, rng: random.Random) -> None:
    """A few collections holding random images of the user."""
    from sqlmodel import col, select

    from palett.models import GeneratedImage
    from palett.services.common.db import session_scope
    from palett.services.library import gallery

    with session_scope() as db:
        ids = list(db.exec(select(GeneratedImage.id).where(GeneratedImage.user_id == user_id)
                           .order_by(col(GeneratedImage.id).desc()).limit(2000)))
        existing = {c.name for c in gallery.list_collections(db, user_id)}
        for name in ("Favourites for the portfolio", "Moodboard", "Client: Harbour Café", "Wallpapers"):
            if name in existing or not ids:
                continue
            album = gallery.create_collection(db, user_id, name)
            gallery.add_images(db, user_id, album.id, rng.sample(ids, min(len(ids), rng.randrange(12, 60))))


def seed(images: int = 200, *, others: int = 0, other_users: int = 50, files: int = 24, days: int = 365,
         email: str = DEMO_EMAIL, password: str | None = None, rng_seed: int | None = None,
         with_jobs: bool = True) -> Seeded:
    """Create (or top up) the demo user with `images` images, plus `others` rows spread over `other_users`
    other users. The database must already have the tables (migrations or create_all)."""
    rng = random.Random(rng_seed)
    user_id = ensure_user(email, password, "Demo")
    stored = render_files(user_id, files, rng)
    made, jobs = seed_user_images(user_id, images, stored, rng, days=days, with_jobs=with_jobs)
    seed_collections(user_id, rng)
    for index, count in enumerate(_split(others, other_users)):
        other = ensure_user(f"other-{index}@palett.local", None, f"Other {index}")
        seed_user_images(other, count, copy_files(stored, other, 4), rng, days=days, with_jobs=False,
                         public_share=0.1)
    return Seeded(user_id=user_id, images=made, jobs=jobs, password=password)


def _split(total: int, parts: int) -> Iterator[int]:
    parts = max(1, min(parts, total)) if total else 0
    for i in range(parts):
        yield total // parts + (1 if i < total % parts else 0)


def _migrate() -> None:
    from alembic.config import Config

    from alembic import command

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=200, help="images for the demo user (default 200)")
    parser.add_argument("--others", type=int, default=0, help="image rows for other users (e.g. 90000)")
    parser.add_argument("--other-users", type=int, default=50, help="how many other users share --others")
    parser.add_argument("--files", type=int, default=24, help="distinct rendered pictures (default 24)")
    parser.add_argument("--days", type=int, default=365, help="spread the images over this many days")
    parser.add_argument("--email", default=DEMO_EMAIL)
    parser.add_argument("--password", help="the demo password (default: a new random one, printed)")
    parser.add_argument("--seed", type=int, help="random seed, for repeatable data")
    parser.add_argument("--no-migrate", action="store_true", help="don't run `alembic upgrade head` first")
    args = parser.parse_args(argv)

    from palett.settings import get_settings

    if not args.no_migrate:
        _migrate()
    password = args.password or f"demo-{secrets.token_urlsafe(9)}"
    started = time.perf_counter()
    result = seed(args.images, others=args.others, other_users=args.other_users, files=args.files,
                  days=args.days, email=args.email, password=password, rng_seed=args.seed)
    elapsed = time.perf_counter() - started
    url = get_settings().db_url
    print(f"Seeded {result.images:,} images ({result.jobs:,} jobs) for {args.email} and {args.others:,} other rows "
          f"in {elapsed:.1f} s on {url.split('://', 1)[0]}.")
    print(f"Sign in as {args.email} with password: {password}")


if __name__ == "__main__":
    main()
