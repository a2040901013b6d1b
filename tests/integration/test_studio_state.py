"""The studio's Generate reads its form the same way whether or not on_load has run yet."""

from __future__ import annotations

from reflex.state import State

from palett.services.generation import catalog
from palett.settings import get_settings
from palett.state.studio import StudioState


def studio() -> StudioState:
    root = State(_reflex_internal_init=True)
    return root.get_substate(StudioState.get_full_name().split(".")[1:])  # type: ignore[return-value]


def test_a_click_before_the_page_loaded_submits_the_default_model():
    form = studio()
    form.prompt = "a lighthouse at dusk"
    assert form.model == ""  # on_load has not picked one yet
    requests, batch = form._requests()
    assert requests[0]["model"] == catalog.default_model("t2i", get_settings()).key and not batch
    assert requests[0]["prompt"] == "a lighthouse at dusk"


def test_a_batch_without_prompts_says_what_to_do_and_a_batch_drops_a_rerun_seed():
    form = studio()
    form.batch_mode = True
    assert form._requests() == "Write one prompt per line."
    form.batch_prompts = "a fox\na heron"
    form.seed, form.seed_random, form.seed_from_rerun = "888052220", False, True
    requests, batch = form._requests()
    assert batch and [r["prompt"] for r in requests] == ["a fox", "a heron"]
    assert all("seed" not in r for r in requests)
