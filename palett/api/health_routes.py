from fastapi import APIRouter
from sqlalchemy import text

from palett.services.db import get_engine

router = APIRouter()


@router.get("/api/health")
def health() -> dict[str, str]:
    with get_engine().connect() as conn:
        conn.execute(text("select 1"))
    return {"status": "ok"}
