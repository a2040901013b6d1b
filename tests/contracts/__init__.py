"""Each provider endpoint's published input and output schema, kept as data (regenerate: scripts/refresh_contracts.py).

`<provider>/<endpoint id>.json` holds {endpoint, source, source_commit/source_date, input, output}. The emulators
and the catalog tests check request bodies and answers against them, so the code is held to what the real
service accepts, not to what the emulator happens to take.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

HERE = Path(__file__).parent


@cache
def load(provider: str, endpoint: str) -> dict[str, Any] | None:
    path = HERE / provider / f"{endpoint}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def endpoints(provider: str) -> list[str]:
    base = HERE / provider
    return sorted(str(p.relative_to(base))[: -len(".json")] for p in base.rglob("*.json"))


def errors(schema: dict[str, Any], body: Any) -> list[dict[str, Any]]:
    """Problems with `body`, one per field, shaped like Fal's (FastAPI/pydantic) 422 `detail` entries."""
    found = []
    for error in sorted(Draft202012Validator(schema).iter_errors(body), key=lambda e: list(e.absolute_path)):
        loc = ["body", *error.absolute_path]
        if error.validator == "additionalProperties":
            allowed = set(error.schema.get("properties", {}))
            extra = [key for key in error.instance if key not in allowed]
            found += [{"loc": [*loc, key], "msg": "Extra inputs are not permitted", "type": "extra_forbidden"}
                      for key in extra]
        elif error.validator == "required":
            missing = [key for key in error.validator_value if key not in error.instance]
            found += [{"loc": [*loc, key], "msg": "Field required", "type": "missing"} for key in missing]
        else:
            found.append({"loc": loc, "msg": error.message, "type": str(error.validator)})
    return found


def input_errors(provider: str, endpoint: str, body: Any) -> list[dict[str, Any]] | None:
    """None when there is no contract for this endpoint; else the body's problems (empty when it conforms)."""
    contract = load(provider, endpoint)
    return None if contract is None else errors(contract["input"], body)


def output_errors(provider: str, endpoint: str, body: Any) -> list[dict[str, Any]] | None:
    contract = load(provider, endpoint)
    return None if contract is None else errors(contract["output"], body)
