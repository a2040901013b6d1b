"""Enhance prompt and Describe image against the OpenAI and Fal emulators and a real database: charged once
through the ledger, refunded on failure, and the local helper labelled as not AI and free."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image
from sqlmodel import col, select

from palett.models import CreditTransaction, Job, User
from palett.services.accounts import users as accounts
from palett.services.common.errors import UserError
from palett.services.generation import prompt_tools
from palett.services.generation.prompt_history import recent_prompts
from palett.services.generation.prompt_models import LOCAL_LABEL, OPENAI_TEXT_MODEL
from palett.services.media import uploads
from tests.integration.test_pipeline_local import balance_matches_ledger

FLORENCE = "fal-ai/florence-2-large/more-detailed-caption"


def new_user(db, email: str = "tools@example.com") -> int:
    with db() as s:
        return accounts.create_user(s, email=email, verified=True).id


def ledger(db, user_id: int) -> list[tuple[str, int]]:
    with db() as s:
        rows = s.exec(select(CreditTransaction).where(CreditTransaction.user_id == user_id)
                      .order_by(col(CreditTransaction.id))).all()
        return [(r.kind, r.delta) for r in rows]


def upload(db, user_id: int, colour=(30, 60, 200), size=(640, 480)) -> int:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "PNG")
    with db() as s:
        return uploads.accept_upload(s, user_id=user_id, data=buf.getvalue(), filename="sea.png").id


def test_enhance_on_openai_is_charged_once_and_shows_the_answer(db, openai_on):
    user_id = new_user(db)
    got = asyncio.run(prompt_tools.enhance(user_id=user_id, prompt="  a red   fox "))
    assert got.text == "a red fox, golden hour light, 35mm photograph, rich detail"
    assert got.is_ai and got.charged == 1 and got.balance == 9 and "OpenAI" in got.tool
    [body] = openai_on.requests
    assert body["model"] == OPENAI_TEXT_MODEL and body["messages"][-1] == {"role": "user", "content": "a red fox"}
    assert ledger(db, user_id) == [("grant", 10), ("reserve", -1), ("capture", 0)]
    assert balance_matches_ledger(db, user_id) == 9


@pytest.mark.parametrize("mode", ["http_500", "empty"])
def test_a_failed_enhance_is_refunded_and_says_so(db, openai_on, mode):
    user_id = new_user(db)
    openai_on.mode = mode
    with pytest.raises(UserError) as err:
        asyncio.run(prompt_tools.enhance(user_id=user_id, prompt="a red fox"))
    assert err.value.code == "prompt_tool_failed" and "not charged" in err.value.message
    assert ledger(db, user_id) == [("grant", 10), ("reserve", -1), ("refund", 1)]
    assert balance_matches_ledger(db, user_id) == 10


def test_without_keys_the_local_helper_answers_free_and_labelled(db):
    user_id = new_user(db)
    got = asyncio.run(prompt_tools.enhance(user_id=user_id, prompt="a red fox"))
    again = asyncio.run(prompt_tools.enhance(user_id=user_id, prompt="a red fox"))
    assert got.tool == LOCAL_LABEL == "Local prompt helper — not AI" and not got.is_ai and got.charged == 0
    assert got.text.startswith("a red fox, ") and got.text == again.text  # a template, not a model
    image_id = upload(db, user_id)
    described = asyncio.run(prompt_tools.describe(user_id=user_id, image_id=image_id))
    assert described.tool == LOCAL_LABEL and not described.is_ai
    assert described.text.startswith("A landscape 640×480 image") and "blue" in described.text
    assert ledger(db, user_id) == [("grant", 10)]


def test_no_credits_means_no_call(db, openai_on):
    user_id = new_user(db)
    with db() as s:
        s.get(User, user_id).credits = 0  # what the balance says; the ledger check is not the point here
    with pytest.raises(UserError) as err:
        asyncio.run(prompt_tools.enhance(user_id=user_id, prompt="a red fox"))
    assert err.value.code == "no_credits" and openai_on.requests == []


def test_bad_input_is_refused_before_anything_is_charged(db, openai_on):
    user_id = new_user(db)
    for prompt, detail in (("   ", "Write a prompt first"), ("x" * 2001, "at most 2000")):
        with pytest.raises(UserError) as err:
            asyncio.run(prompt_tools.enhance(user_id=user_id, prompt=prompt))
        assert detail in err.value.message
    with pytest.raises(UserError) as err:
        asyncio.run(prompt_tools.enhance(user_id=user_id, prompt="a fox", tool_key="florence-describe"))
    assert err.value.code == "unknown_model"
    assert openai_on.requests == [] and ledger(db, user_id) == [("grant", 10)]


def test_describe_on_fal_sends_the_image_and_charges_once(db, fal_on):
    user_id = new_user(db)
    image_id = upload(db, user_id)
    got = asyncio.run(prompt_tools.describe(user_id=user_id, image_id=image_id))
    assert got.is_ai and got.charged == 1 and "lighthouse" in got.text and "Florence" in got.tool
    [submit] = fal_on.submits(FLORENCE)
    assert submit.kind == "run" and set(submit.input) == {"image_url"}
    assert fal_on.uploads and fal_on.uploads[0][2][:8] == b"\x89PNG\r\n\x1a\n"  # our stored copy, sent to Fal
    assert ledger(db, user_id) == [("grant", 10), ("reserve", -1), ("capture", 0)]


def test_a_failed_describe_is_refunded(db, fal_on):
    user_id = new_user(db)
    image_id = upload(db, user_id)
    fal_on.behave(FLORENCE, "fail", status_code=500, detail="GPU fell over")
    with pytest.raises(UserError) as err:
        asyncio.run(prompt_tools.describe(user_id=user_id, image_id=image_id))
    assert "not charged" in err.value.message
    assert ledger(db, user_id) == [("grant", 10), ("reserve", -1), ("refund", 1)]
    assert balance_matches_ledger(db, user_id) == 10


def test_describe_refuses_someone_elses_image(db, fal_on):
    owner, other = new_user(db, "a@example.com"), new_user(db, "b@example.com")
    image_id = upload(db, owner)
    with pytest.raises(UserError) as err:
        asyncio.run(prompt_tools.describe(user_id=other, image_id=image_id))
    assert err.value.code == "image_not_found" and fal_on.submits() == []
    assert ledger(db, other) == [("grant", 10)]


def test_prompt_history_is_my_own_recent_distinct_prompts(db):
    me, them = new_user(db, "me@example.com"), new_user(db, "them@example.com")
    with db() as s:
        for user_id, prompt, operation in ((me, "a fox", "t2i"), (me, "a lighthouse", "t2i"), (me, "A  fox", "t2i"),
                                           (them, "their secret", "t2i"), (me, "as a comic", "i2i")):
            s.add(Job(user_id=user_id, operation=operation, model="local-preview", provider="local",
                      params={"prompt": prompt}))
            s.flush()
    with db() as s:
        assert recent_prompts(s, me) == ["A fox", "a lighthouse"]
        assert recent_prompts(s, them) == ["their secret"]


def test_an_image_that_cannot_reach_fal_is_a_clear_message_and_no_charge(db, fal_on, monkeypatch):
    import fal_client.client

    user_id = new_user(db)
    image_id = upload(db, user_id)
    monkeypatch.setattr(fal_client.client, "CDN_URL", "https://127.0.0.1:9")  # nothing listens there
    monkeypatch.setattr(fal_client.client, "REST_URL", "https://127.0.0.1:9")
    with pytest.raises(UserError) as err:
        asyncio.run(prompt_tools.describe(user_id=user_id, image_id=image_id))
    assert err.value.code == "prompt_tool_failed" and "could not be sent to Fal" in err.value.message
    assert fal_on.submits() == [] and ledger(db, user_id) == [("grant", 10)]
