"""Key actions of the Developers page (services/accounts/api_keys): each is audited; the limit is explained."""

from __future__ import annotations

import pytest
from sqlmodel import select

from palett.models import AuditLog
from palett.services.accounts import api_keys
from palett.services.common.errors import UserError
from tests.integration.test_pipeline_local import new_user


def test_every_key_action_is_in_the_audit_log_without_the_secret(db):
    user = new_user(db)
    with db() as s:
        made = api_keys.create(s, user_id=user.id, name="ci", scopes=["read"])
        key_id = made.key.id
    with db() as s:
        assert api_keys.revoke(s, user_id=user.id, key_id=key_id)
        assert not api_keys.revoke(s, user_id=user.id, key_id=key_id)  # nothing happened: nothing audited
    with db() as s:
        rows = s.exec(select(AuditLog).order_by(AuditLog.id)).all()
    assert [(r.action, r.admin_id, r.admin_email, r.target_type, r.target_id) for r in rows] == [
        ("api_key.create", user.id, user.email, "api_key", str(key_id)),
        ("api_key.revoke", user.id, user.email, "api_key", str(key_id)),
    ]
    assert rows[0].details == {"name": "ci", "prefix": made.key.prefix, "scopes": ["read"], "via": "developers page"}
    assert all(made.secret not in str(r.details) for r in rows)


def test_the_key_limit_is_explained_and_refusals_write_nothing(db):
    user = new_user(db)
    with db() as s:
        for i in range(api_keys.MAX_KEYS):
            api_keys.create(s, user_id=user.id, name=f"k{i}", scopes=["read"])
    with db() as s, pytest.raises(UserError) as refused:
        api_keys.create(s, user_id=user.id, name="one more", scopes=["read"])
    assert f"{api_keys.MAX_KEYS} active keys" in refused.value.message and "revoke one" in refused.value.message
    with db() as s, pytest.raises(UserError) as unnamed:
        api_keys.create(s, user_id=user.id, name="  ", scopes=["read"])
    assert "name" in unnamed.value.message.lower()
    with db() as s:
        assert len(s.exec(select(AuditLog).where(AuditLog.action == "api_key.create")).all()) == api_keys.MAX_KEYS


def test_a_disabled_accounts_keys_stop_working(db):
    from palett.models import User

    user = new_user(db)
    with db() as s:
        secret = api_keys.create(s, user_id=user.id, name="ci", scopes=["read"]).secret
        assert api_keys.authenticate(s, secret) is not None
        s.get(User, user.id).disabled = True
    with db() as s:
        assert api_keys.authenticate(s, secret) is None
