"""services/common/db: the autocommit scope the API key check uses leaves no autocommit behind on pooled
connections, so the next unit of work on the same connection still rolls back as a whole."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from palett.models import User
from palett.services.common.db import autocommit_scope, session_scope
from tests.integration.test_pipeline_local import new_user


def test_a_unit_of_work_after_an_autocommit_scope_still_rolls_back(db):
    user = new_user(db)  # 10 credits
    for _ in range(3):  # every pooled connection in turn has been in autocommit mode
        with autocommit_scope() as s:
            assert s.exec(select(User.credits).where(User.id == user.id)).one() == 10
    for _ in range(3):
        with pytest.raises(RuntimeError), session_scope() as s:
            s.execute(update(User).where(col(User.id) == user.id).values(credits=0))
            raise RuntimeError("the request failed after the write")
    with session_scope() as s:
        assert s.get(User, user.id).credits == 10
