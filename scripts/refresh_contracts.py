"""Regenerate tests/contracts/: each catalog endpoint's input and output JSON Schema, from a primary source.

Fal: the generated endpoint types Fal publishes in fal-ai/fal-js (`libs/client/src/types/endpoints.ts`,
an `EndpointTypeMap` of endpoint id -> {input, output} TypeScript types), turned into JSON Schema here.
OpenAI: the installed `openai` SDK's own types (ImageGenerateParams, ImagesResponse; for the prompt tools
CompletionCreateParamsNonStreaming, ChatCompletion), through pydantic.

    .venv/bin/python scripts/refresh_contracts.py                 # online: fal-js main from GitHub
    .venv/bin/python scripts/refresh_contracts.py --fal-types endpoints.ts --fal-commit SHA --fal-date 2026-08-02

Review the diff: a removed endpoint or field means the catalog must change too (the contract tests fail).
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import json
import re
import sys
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CONTRACTS = ROOT / "tests" / "contracts"
FAL_REPO, FAL_PATH = "fal-ai/fal-js", "libs/client/src/types/endpoints.ts"
OPENAI_ENDPOINT = "images.generate"
OPENAI_CHAT_ENDPOINT = "chat.completions.create"
# Values the SDK lists under "Deprecated values" that OpenAI has shut down (the emulator answers 404 for them).
SHUT_DOWN = re.compile(r'^\s*- ((?:"[^"]+",? ?)+): [^\n]*(?:shut down|retired)', re.M)


# ---- a small reader for the generated TypeScript (types, unions, literals, arrays, object literals) --------

TOKEN = re.compile(r'\s*(?:(?P<doc>/\*.*?\*/)|(?P<str>"(?:[^"\\]|\\.)*")|(?P<num>-?\d+(?:\.\d+)?)'
                   r'|(?P<id>[A-Za-z_$][\w$]*)|(?P<p>[{}<>\[\]|;:?(),&]))', re.S)
DEFAULT = re.compile(r"\s*Default value: `([^`]*)`\s*$", re.S)


class TypeReader:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            m = TOKEN.match(text, pos)
            if not m:
                if text[pos:].strip():
                    raise ValueError(f"cannot read {text[pos:pos + 40]!r}")
                break
            kind = m.lastgroup or ""
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
        self.i = 0
        self.docs: dict[int, str] = {}  # token index -> the doc comment just before it
        kept: list[tuple[str, str]] = []
        for kind, value in self.tokens:
            if kind == "doc":
                self.docs[len(kept)] = value
            else:
                kept.append((kind, value))
        self.tokens = kept

    def peek(self) -> str:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> tuple[str, str]:
        token = self.tokens[self.i]
        if expected is not None and token[1] != expected:
            raise ValueError(f"expected {expected!r}, got {token[1]!r}")
        self.i += 1
        return token

    def union(self) -> dict[str, Any]:
        if self.peek() == "|":
            self.take()
        members = [self.postfix()]
        while self.peek() == "|":
            self.take()
            members.append(self.postfix())
        return _union(members)

    def postfix(self) -> dict[str, Any]:
        node = self.atom()
        while self.peek() == "[":
            self.take("[")
            self.take("]")
            node = {"type": "array", "items": node}
        return node

    def atom(self) -> dict[str, Any]:
        kind, value = self.take()
        if kind == "str":
            return {"const": json.loads(value)}
        if kind == "num":
            return {"const": json.loads(value)}
        if value == "{":
            return self.members()
        if value == "(":
            node = self.union()
            self.take(")")
            return node
        if value in ("Array", "Record"):
            self.take("<")
            first = self.union()
            if value == "Record":
                self.take(",")
                first = {"type": "object", "additionalProperties": self.union()}
            else:
                first = {"type": "array", "items": first}
            self.take(">")
            return first
        simple = {"string": {"type": "string"}, "number": {"type": "number"}, "boolean": {"type": "boolean"},
                  "null": {"type": "null"}, "unknown": {}, "any": {}, "Blob": {"x-blob": True},
                  "true": {"const": True}, "false": {"const": False}}
        if value in simple:
            return dict(simple[value])
        return {"$ref": f"#/$defs/{value}"}

    def members(self) -> dict[str, Any]:
        props: dict[str, Any] = {}
        required: list[str] = []
        while self.peek() != "}":
            doc = self.docs.get(self.i, "")
            kind, name = self.take()
            name = json.loads(name) if kind == "str" else name
            optional = self.peek() == "?"
            if optional:
                self.take()
            self.take(":")
            props[name] = {**self.union(), **_documented(doc)}
            if not optional:
                required.append(name)
            if self.peek() in (";", ","):
                self.take()
        self.take("}")
        node: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
        if required:
            node["required"] = required
        return node


def _documented(doc: str) -> dict[str, Any]:
    """`description` and `default` from a member's JSDoc (`... Default value: `"png"``)."""
    text = " ".join(line.strip().lstrip("*").strip() for line in doc.strip("/*").splitlines()).strip()
    found: dict[str, Any] = {}
    match = DEFAULT.search(text)
    if match:
        text = text[: match.start()].strip()
        try:
            found["default"] = json.loads(match.group(1))
        except ValueError:
            found["default"] = match.group(1)  # bare words such as auto or square_hd
    if text:
        found["description"] = text
    return found


def _union(members: list[dict[str, Any]]) -> dict[str, Any]:
    # `string | Blob | File` is an input fal_client uploads for you; on the wire it is a URL string.
    if any(m.get("x-blob") for m in members):
        members = [m for m in members if not m.get("x-blob") and m.get("$ref") != "#/$defs/File"]
    if len(members) == 1:
        return members[0]
    consts = [m["const"] for m in members if set(m) == {"const"}]
    others = [m for m in members if set(m) != {"const"}]
    if {"type": "string"} in others and all(isinstance(c, str) for c in consts):
        return {"type": "string"}  # open enum: known values plus any string
    if not others:
        return {"enum": consts}
    return {"anyOf": ([{"enum": consts}] if consts else []) + others}


def read_fal_types(source: str) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """(type name -> body, endpoint id -> (input type, output type)) from endpoints.ts."""
    # Drop comments on whole types (column 0) and line comments; keep member docs for descriptions and defaults.
    text = re.sub(r"^/\*.*?\*/\s*$", "", source, flags=re.S | re.M)
    text = re.sub(r"^\s*//.*$", "", text, flags=re.M)
    bodies = {m.group(1): m.group(2) for m in re.finditer(
        r"^export type (\w+) =\s*(.*?);\s*\n(?=export |\Z)", text, flags=re.S | re.M)}
    endpoints = {m.group(1): (m.group(2), m.group(3)) for m in re.finditer(
        r'"([^"]+)": \{\s*input: (\w+);\s*output: (\w+);\s*\}', bodies.get("EndpointTypeMap", ""))}
    return bodies, endpoints


def fal_schema(bodies: dict[str, str], root: str) -> dict[str, Any]:
    """A self-contained JSON Schema for one named type (referenced types go under $defs)."""
    defs: dict[str, Any] = {}
    pending = [root]
    while pending:
        name = pending.pop()
        if name in defs:
            continue
        if name not in bodies:
            raise KeyError(f"type {name} is not defined in the source")
        defs[name] = TypeReader(bodies[name]).union()
        pending += re.findall(r'"\$ref": "#/\$defs/(\w+)"', json.dumps(defs[name]))
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": f"#/$defs/{root}", "$defs": defs}


# ---- sources -----------------------------------------------------------------------------------------------


def fetch_fal_types(ref: str) -> tuple[str, str, str]:
    """(endpoints.ts text, commit sha, commit date) of fal-js at `ref`, from GitHub."""
    with httpx.Client(timeout=60, follow_redirects=True) as client:
        commit = client.get(f"https://api.github.com/repos/{FAL_REPO}/commits",
                            params={"path": FAL_PATH, "sha": ref, "per_page": 1}).raise_for_status().json()[0]
        sha, date = commit["sha"], commit["commit"]["committer"]["date"][:10]
        text = client.get(f"https://raw.githubusercontent.com/{FAL_REPO}/{sha}/{FAL_PATH}").raise_for_status().text
    return text, sha, date


def catalog_endpoints() -> dict[str, list[str]]:
    """provider -> endpoints the catalog uses (every Fal and OpenAI model entry)."""
    from palett.services.generation import catalog, prompt_models

    catalog._load()
    found: dict[str, set[str]] = {}
    for spec in [*catalog._REGISTRY.values(), *prompt_models.all_tools()]:
        if spec.provider in ("fal", "openai"):
            found.setdefault(spec.provider, set()).add(spec.endpoint)
    return {provider: sorted(ids) for provider, ids in found.items()}


def openai_contract() -> dict[str, Any]:
    import openai
    from openai.types import image_model
    from openai.types.image_generate_params import ImageGenerateParamsNonStreaming
    from openai.types.images_response import ImagesResponse
    from pydantic import TypeAdapter

    request = TypeAdapter(ImageGenerateParamsNonStreaming).json_schema()
    request["additionalProperties"] = False  # the API answers 400 unknown_parameter
    doc = inspect.getsource(image_model)
    shut_down = sorted({name for m in SHUT_DOWN.finditer(doc) for name in re.findall(r'"([^"]+)"', m.group(1))})
    return {
        "endpoint": OPENAI_ENDPOINT,
        "http": "POST /v1/images/generations",
        "source": f"openai-python {openai.__version__}: openai/types/image_generate_params.py "
                  "(ImageGenerateParamsNonStreaming), openai/types/images_response.py (ImagesResponse), "
                  "openai/types/image_model.py (deprecated values)",
        "source_date": dt.date.today().isoformat(),
        "shut_down_models": shut_down,
        "input": request,
        "output": ImagesResponse.model_json_schema(),
    }


def openai_chat_contract() -> dict[str, Any]:
    import openai
    from openai.types.chat.chat_completion import ChatCompletion
    from openai.types.chat.completion_create_params import CompletionCreateParamsNonStreaming
    from pydantic import TypeAdapter

    request = TypeAdapter(CompletionCreateParamsNonStreaming).json_schema()
    request["additionalProperties"] = False  # the API answers 400 unknown_parameter
    return {
        "endpoint": OPENAI_CHAT_ENDPOINT,
        "http": "POST /v1/chat/completions",
        "source": f"openai-python {openai.__version__}: openai/types/chat/completion_create_params.py "
                  "(CompletionCreateParamsNonStreaming), openai/types/chat/chat_completion.py (ChatCompletion)",
        "source_date": dt.date.today().isoformat(),
        "input": request,
        "output": ChatCompletion.model_json_schema(),
    }


def contract_path(provider: str, endpoint: str) -> Path:
    return CONTRACTS / provider / f"{endpoint}.json"


def write(path: Path, contract: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(contract, indent=1, sort_keys=False) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fal-ref", default="main", help="fal-js branch, tag or commit to read (online)")
    parser.add_argument("--fal-types", type=Path, help="a local copy of endpoints.ts instead of GitHub")
    parser.add_argument("--fal-commit", default="", help="the commit that local copy came from")
    parser.add_argument("--fal-date", default="", help="that commit's date (YYYY-MM-DD)")
    args = parser.parse_args()
    if args.fal_types:
        text, sha, date = args.fal_types.read_text(), args.fal_commit, args.fal_date
    else:
        text, sha, date = fetch_fal_types(args.fal_ref)
    bodies, endpoints = read_fal_types(text)
    wanted = catalog_endpoints()
    missing = [e for e in wanted.get("fal", []) if e not in endpoints]
    for endpoint in wanted.get("fal", []):
        if endpoint in missing:
            continue
        input_type, output_type = endpoints[endpoint]
        write(contract_path("fal", endpoint), {
            "endpoint": endpoint,
            "source": f"github.com/{FAL_REPO} {FAL_PATH} (EndpointTypeMap: {input_type} -> {output_type})",
            "source_commit": sha,
            "source_date": date,
            "generated": dt.date.today().isoformat(),
            "input": fal_schema(bodies, input_type),
            "output": fal_schema(bodies, output_type),
        })
    if OPENAI_ENDPOINT in wanted.get("openai", []):
        write(contract_path("openai", OPENAI_ENDPOINT), openai_contract())
    if OPENAI_CHAT_ENDPOINT in wanted.get("openai", []):
        write(contract_path("openai", OPENAI_CHAT_ENDPOINT), openai_chat_contract())
    if missing:
        print(f"NOT in Fal's published types (gone or renamed; fix the catalog): {', '.join(missing)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
