"""Adding an operation is adding one module: "invert colours" is defined only in this file.

Registered by the fixture (nothing under palett/ names it), it is listed and priced by the catalog and by
GET /api/v1/models, validated by its own input model, labelled, offered and drawn by the editor, submitted
through the one submit service and run by the local provider in the heavy-work process.
"""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest
from PIL import Image, ImageOps
from pydantic import Field
from reflex.state import State
from sqlmodel import select

from palett.models import GeneratedImage, Job
from palett.services.common.errors import UserError
from palett.services.generation import catalog, operations, pipeline, submit
from palett.services.generation.operations import Control, EditInput, Operation, local_model, register
from palett.services.generation.operations import _base as registry
from palett.services.library import gallery
from palett.services.library.images import ImageRef
from palett.services.media.storage import get_storage
from palett.state.edit import EditState
from tests.integration.test_api_v1 import auth, client, key_for  # noqa: F401  (client is a fixture)
from tests.integration.test_edit_tools import stored_image
from tests.integration.test_pipeline_local import balance_matches_ledger, new_user


class InvertInput(EditInput):
    strength: float = Field(default=1.0, ge=0.0, le=1.0)


def invert(p: InvertInput, img: Image.Image, load: operations._base.Load) -> Image.Image:
    rgb = img.convert("RGB")
    return Image.blend(rgb, ImageOps.invert(rgb), p.strength)


INVERT = Operation(
    key="invert", label="Invert colours", icon="contrast", hint="Swap every colour for its opposite.",
    input_model=InvertInput, credits_per_image=3, run_local=invert, order=90,
    controls=(Control("strength", "How much to invert"),),
    models=(local_model("local-invert", "Local invert", blurb="Swaps every colour on this server."),),
)


@pytest.fixture(autouse=True)
def invert_registered(monkeypatch):
    catalog.all_models()  # the built-in operations and models, loaded before the copies below
    assert operations.get("invert") is None  # no module under palett/ knows it
    monkeypatch.setattr(registry, "_OPERATIONS", dict(registry._OPERATIONS))  # dropped after the test
    monkeypatch.setattr(catalog, "_REGISTRY", dict(catalog._REGISTRY))
    register(INVERT)


def test_the_catalog_lists_prices_validates_and_labels_it():
    spec = catalog.get("local-invert")
    assert [m.key for m in catalog.models("invert")] == ["local-invert"]
    assert (spec.operation, spec.provider, spec.input_model) == ("invert", "local", InvertInput)
    assert spec.cost(spec.validate({"image_id": 1, "strength": 0.5})) == 3
    with pytest.raises(UserError) as err:
        spec.validate({"image_id": 1, "strength": 2})
    assert err.value.code == "invalid_input" and "strength" in err.value.message
    assert operations.label_of("invert") == gallery.operation_label("invert") == "Invert colours"
    with pytest.raises(ValueError, match="no field faces"):  # a control its input lacks would be dropped
        register(dataclasses.replace(INVERT, controls=(Control("faces", "Faces"),)))


def test_the_public_api_lists_it(client, db):  # noqa: F811
    secret = key_for(db, new_user(db).id)
    models = client.get("/api/v1/models", headers=auth(secret)).json()
    toy = next(m for m in models if m["key"] == "local-invert")
    assert (toy["operation"], toy["label"], toy["credits_per_image"], toy["available"]) == (
        "invert", "Local invert", 3, True)
    assert "strength" in toy["input_schema"]["properties"] and "image_key" not in toy["input_schema"]["properties"]


def editor() -> EditState:
    root = State(_reflex_internal_init=True)
    return root.get_substate(EditState.get_full_name().split(".")[1:])  # type: ignore[return-value]


def test_the_editor_offers_it_draws_its_control_and_builds_its_request():
    from palett.components.edit_settings import settings_for_tool

    form = editor()
    assert ["invert", "Invert colours", "contrast"] in form.tools
    form._apply_tool("invert")
    assert form.model == "local-invert" and form.tool_hint == "Swap every colour for its opposite."
    form.strength = 0.5
    assert form._params(7) == {"model": "local-invert", "image_id": 7, "strength": 0.5}
    form.source = ImageRef(id=7, url="", thumb="", width=300, height=200, label="")
    form.credits = 10
    assert form.result_size == "300 × 200" and form.preview["summary"] == "Costs 3 credits · you have 10"
    assert "How much to invert" in str(settings_for_tool())  # its generic slider, in the tool's panel


async def test_submitted_through_submit_and_run_by_the_local_provider(db):
    user = new_user(db, credits_=10)
    source = stored_image(db, user.id)
    made = await submit.submit(user_id=user.id, requests=[{"model": "local-invert", "image_id": source.id}])
    assert made.reserved == 3 and made.balance == 7
    await pipeline.execute(made.job_ids[0])
    with db() as s:
        job = s.get(Job, made.job_ids[0])
        assert (job.status, job.operation, job.charged) == ("succeeded", "invert", 3)
        result = s.exec(select(GeneratedImage).where(GeneratedImage.job_id == job.id)).one()
        assert result.operation == "invert"
        out = Image.open(io.BytesIO(get_storage().get(result.image_url))).convert("RGB")
    before = Image.open(io.BytesIO(get_storage().get(source.image_url))).convert("RGB")
    expected = np.asarray(ImageOps.invert(before), dtype=np.int16)
    assert out.size == before.size and np.abs(np.asarray(out, dtype=np.int16) - expected).max() <= 1
    assert balance_matches_ledger(db, user.id) == 7
