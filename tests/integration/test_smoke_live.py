"""`make smoke-live` runs here against the Fal and OpenAI emulators, so the operator's smoke test cannot rot."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from palett.services.generation import catalog, prompt_models

SCRIPT = Path(__file__).parents[2] / "scripts" / "smoke_live.py"


def load_script():
    spec = importlib.util.spec_from_file_location("smoke_live", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_smoke_live_runs_every_provider_entry_once_and_reports_it(fal_on, openai_on, capsys):
    smoke_live = load_script()
    fal_on.behave("fal-ai/flux/dev", "succeed", queue_polls=1, progress_polls=1)
    assert smoke_live.main(["--poll", "0.02"]) == 0
    printed = capsys.readouterr().out
    catalog._load()
    remote = [s for s in [*catalog._REGISTRY.values(), *prompt_models.all_tools()] if not s.is_local]
    for spec in remote:
        line = next(line for line in printed.splitlines() if line.startswith(spec.key + " "))
        assert f" {spec.endpoint} " in line and " ok " in line, line
    assert f"{len(remote)} worked, 0 failed, 0 skipped" in printed
    # Exactly one call per entry, each the cheapest: one image; edit inputs went up to Fal's storage.
    assert [r.get("n") for r in openai_on.requests] == [1, 1]  # GPT Image, then the Enhance prompt chat
    fal_entries = [s for s in remote if s.provider == "fal"]
    assert len(fal_on.submits()) == len(fal_entries)
    assert all(r.input.get("num_images", 1) == 1 for r in fal_on.submits())
    assert fal_on.uploads


def test_smoke_live_skips_what_has_no_key_and_fails_loudly(fal_on, capsys):
    smoke_live = load_script()
    fal_on.behave("fal-ai/esrgan", "fail", status_code=500, detail="GPU fell over")
    assert smoke_live.main(["--poll", "0.02", "--only", "e"]) == 1  # esrgan, gpt-image, ...
    printed = capsys.readouterr().out
    assert "esrgan" in printed and "FAILED" in printed
    assert "gpt-image" in printed and "Needs OPENAI_API_KEY" in printed
