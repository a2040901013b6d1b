"""examples/palett_client.py against a live local app (uvicorn on 127.0.0.1, the in-process job runner)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.integration.test_api_v1 import key_for
from tests.integration.test_pipeline_local import balance_matches_ledger, new_user

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "examples" / "palett_client.py"


@pytest.fixture
def live_api(db):
    from tests.fakes.live_api import serve_api

    base, stop = serve_api()
    yield base + "/api/v1"
    stop()


def run_client(base: str, key: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), "PALETT_API_KEY": key, "PALETT_API_URL": base}
    return subprocess.run([sys.executable, str(CLIENT), *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_the_example_client_makes_edits_and_downloads(db, live_api, tmp_path):
    user = new_user(db)
    key = key_for(db, user.id)
    made = run_client(live_api, key, "a quiet harbour at dawn", "--set", "size=square", "--out", "out", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    (path,) = [Path(line) for line in made.stdout.splitlines() if line.startswith("out/")]
    assert Image.open(tmp_path / path).size == (512, 512)
    photo = ROOT / "tests" / "fixtures" / "coffee.png"
    edited = run_client(live_api, key, "--edit", str(photo), "--model", "local-lanczos", "--set", "mode=2x",
                        "--out", "out", cwd=tmp_path)
    assert edited.returncode == 0, edited.stderr
    (edit_path,) = [Path(line) for line in edited.stdout.splitlines() if line.startswith("out/")]
    width, height = Image.open(photo).size
    assert Image.open(tmp_path / edit_path).size == (2 * width, 2 * height)
    assert balance_matches_ledger(db, user.id) == 10 - 1 - 1
    refused = run_client(live_api, key, "x", "--set", "sharpness=3", cwd=tmp_path)
    assert refused.returncode == 1 and "invalid-input, field sharpness" in refused.stderr
    assert run_client(live_api, "", "x", cwd=tmp_path).returncode == 2
