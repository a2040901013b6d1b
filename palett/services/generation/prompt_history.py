"""A person's own recent prompts, newest first and without repeats, from their text-to-image jobs."""

from __future__ import annotations

from sqlmodel import Session as DB
from sqlmodel import col, select

from palett.models import Job

SCAN = 200  # recent jobs looked at: enough for ten distinct prompts in practice, cheap on the (user, created) index


def recent_prompts(db: DB, user_id: int, limit: int = 10) -> list[str]:
    rows = db.exec(
        select(Job.params).where(Job.user_id == user_id, Job.operation == "t2i")
        .order_by(col(Job.created_at).desc(), col(Job.id).desc()).limit(SCAN)
    )
    found: list[str] = []
    seen: set[str] = set()
    for params in rows:
        prompt = " ".join(str((params or {}).get("prompt") or "").split())
        if prompt and prompt.casefold() not in seen:
            seen.add(prompt.casefold())
            found.append(prompt)
            if len(found) == limit:
                break
    return found
