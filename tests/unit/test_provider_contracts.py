"""Every catalog entry's adapter sends only what its endpoint's published schema takes (tests/contracts/)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from palett.services.common.errors import UserError
from palett.services.generation import catalog, prompt_models
from palett.services.generation.prompt_models import ToolInput
from tests import contracts

# Forms a user can send per operation; each is run through the model's own validation first.
FORMS: dict[str, list[dict[str, Any]]] = {
    "i2i": [{"prompt": "as a comic", "strength": 0.6, "seed": 3}, {"prompt": "as a comic"}],
    "bg_remove": [{}],
    "bg_replace": [{"mode": "prompt", "prompt": "a beach"}, {"mode": "image", "background_id": 2,
                                                            "background_key": "u/1/back.png"},
                   {"mode": "color", "color": "#1e293b"}],
    "upscale": [{"mode": "2x"}, {"mode": "4x"}, {"mode": "4k", "long_side": 3840}],
    "inpaint": [{"mask_key": "u/1/mask.png", "prompt": "a croissant", "seed": 5}],
    "outpaint": [{"left": 64, "right": 64, "canvas_key": "u/1/canvas.png", "mask_key": "u/1/mask.png"}],
    "style": [{"style": "oil", "strength": 0.5}],
    "restore": [{"strength": 0.6, "faces": False}],
}
EDIT_SOURCE = {"image_id": 1, "image_key": "u/1/source.png", "source_width": 640, "source_height": 480}


class URLMedia:
    def url(self, key: str) -> str:
        return f"https://media.example/{key}"


def t2i_forms(spec: catalog.ModelSpec) -> list[dict[str, Any]]:
    """The fewest settings, then every setting this model offers at once."""
    full: dict[str, Any] = {"prompt": "a red fox", "size": spec.sizes[-1], "num_images": spec.max_images}
    if spec.seed:
        full["seed"] = 2**31 - 1
    if spec.negative_prompt:
        full["negative_prompt"] = "blur"
    if spec.styles:
        full["style"] = spec.styles[-1]
    if spec.steps:
        full["steps"] = spec.steps[1]
    if spec.guidance:
        full["guidance"] = spec.guidance[1]
    if spec.style_refs:  # the keys are what bind_sources fills in at submit
        full["style_refs"] = list(range(1, spec.style_refs + 1))
        full["style_ref_keys"] = [f"u/1/ref{i}.png" for i in full["style_refs"]]
    if spec.subject_ref:
        full["subject_ref"], full["subject_ref_key"] = 9, "u/1/subject.png"
    return [{"prompt": "a red fox", "size": spec.sizes[0]}, full]


def cases() -> list[tuple[str, dict[str, Any]]]:
    catalog._load()
    found = []
    for spec in catalog._REGISTRY.values():
        if spec.is_local:
            continue
        forms = t2i_forms(spec) if spec.operation == "t2i" else [{**EDIT_SOURCE, **f} for f in FORMS[spec.operation]]
        for form in forms:
            if spec.operation == "bg_replace" and form["mode"] not in spec.extra["modes"]:
                continue
            found.append((spec.key, form))
    return found


@pytest.mark.parametrize(("key", "form"), cases(), ids=lambda v: v if isinstance(v, str) else json.dumps(v)[:60])
def test_adapter_output_matches_the_published_input_schema(key, form):
    spec = catalog.get(key)
    body = spec.adapter(spec.validate(form), URLMedia())
    problems = contracts.input_errors(spec.provider, spec.endpoint, body)
    assert problems is not None, f"no contract for {spec.endpoint}: run scripts/refresh_contracts.py"
    assert problems == [], f"{key} -> {spec.endpoint} sends what the endpoint does not take"


@pytest.mark.parametrize("key", [t.key for t in prompt_models.all_tools() if not t.is_local])
def test_prompt_tool_adapters_send_what_their_endpoint_takes(key):
    tool = prompt_models.get(key)
    body = tool.adapter(ToolInput(prompt="a red fox", image="https://media.example/u/1/a.png"))
    problems = contracts.input_errors(tool.provider, tool.endpoint, body)
    assert problems is not None, f"no contract for {tool.endpoint}: run scripts/refresh_contracts.py"
    assert problems == [], f"{key} -> {tool.endpoint} sends what the endpoint does not take"


def test_prompt_tool_readers_take_the_text_from_the_published_answer():
    florence = prompt_models.get("florence-describe")
    answer = {"results": "A lighthouse on a cliff."}
    assert contracts.output_errors("fal", florence.endpoint, answer) == []
    assert florence.reader(answer) == "A lighthouse on a cliff."
    chat = prompt_models.get("gpt-enhance")
    completion = {"id": "c1", "object": "chat.completion", "created": 1, "model": prompt_models.OPENAI_TEXT_MODEL,
                  "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                               "message": {"role": "assistant", "content": "A fox at dawn.", "refusal": None}}]}
    assert contracts.output_errors("openai", chat.endpoint, completion) == []
    assert chat.reader(completion) == "A fox at dawn."


def test_every_contract_names_its_source_and_date_and_is_still_used():
    catalog._load()
    used = {(s.provider, s.endpoint) for s in [*catalog._REGISTRY.values(), *prompt_models.all_tools()]
            if not s.is_local}
    kept = {(p, e) for p in ("fal", "openai") for e in contracts.endpoints(p)}
    assert kept == used
    for provider, endpoint in kept:
        contract = contracts.load(provider, endpoint)
        assert contract and contract["endpoint"] == endpoint and contract["source"] and contract["source_date"]


def test_a_field_the_schema_lacks_or_a_missing_required_one_is_caught():
    body = {"image_url": "https://media.example/a.png", "upscaling": 1}
    assert contracts.input_errors("fal", "fal-ai/codeformer", body) == [
        {"loc": ["body", "upscaling"], "msg": "Extra inputs are not permitted", "type": "extra_forbidden"}]
    assert contracts.input_errors("fal", "fal-ai/esrgan", {"scale": 2}) == [
        {"loc": ["body", "image_url"], "msg": "Field required", "type": "missing"}]


def test_the_openai_model_is_not_one_openai_shut_down():
    spec = catalog.get("gpt-image")
    body = spec.adapter(spec.validate({"prompt": "a teapot", "size": "1024x1024"}), URLMedia())
    contract = contracts.load("openai", spec.endpoint)
    assert contract is not None and body["model"] not in contract["shut_down_models"]


def test_every_size_a_model_offers_is_one_its_endpoint_takes():
    catalog._load()
    for spec in catalog.models("t2i"):
        if spec.is_local:
            continue
        for size in spec.sizes:
            body = spec.adapter(spec.validate({"prompt": "a red fox", "size": size}), URLMedia())
            assert contracts.input_errors(spec.provider, spec.endpoint, body) == [], (spec.key, size)


def test_the_type_reader_turns_fal_types_into_json_schema():
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).parents[2] / "scripts" / "refresh_contracts.py"
    module_spec = importlib.util.spec_from_file_location("refresh_contracts", path)
    assert module_spec and module_spec.loader
    refresh = importlib.util.module_from_spec(module_spec)
    sys.modules[module_spec.name] = refresh
    module_spec.loader.exec_module(refresh)
    source = '''/**
 * A tool.
 */
export type ToolInput = {
  /**
   * The picture. Default value: `"x"`
   */
  image_url: string | Blob | File;
  mode?: "fast" | "good";
  ratio?: "1:1" | string;
  tags?: Array<string>;
  size?: Size | "square";
};
export type Size = {
  width?: number;
};
export type ToolOutput = HEDOutput;
export type HEDOutput = {
  image: File;
};
export type File = {
  url: string;
};
export type EndpointTypeMap = {
  "fal-ai/tool": {
    input: ToolInput;
    output: ToolOutput;
  };
};
'''
    bodies, endpoints = refresh.read_fal_types(source)
    assert endpoints == {"fal-ai/tool": ("ToolInput", "ToolOutput")}
    schema = refresh.fal_schema(bodies, "ToolInput")
    props = schema["$defs"]["ToolInput"]["properties"]
    assert props["image_url"] == {"type": "string", "default": "x", "description": "The picture."}
    assert props["mode"] == {"enum": ["fast", "good"]} and props["ratio"] == {"type": "string"}
    assert props["size"] == {"anyOf": [{"enum": ["square"]}, {"$ref": "#/$defs/Size"}]}
    assert schema["$defs"]["ToolInput"]["required"] == ["image_url"]
    good = {"image_url": "https://a/b.png", "mode": "fast", "tags": ["x"], "size": {"width": 5}}
    assert contracts.errors(schema, good) == []
    assert [e["type"] for e in contracts.errors(schema, {"mode": "slow", "extra": 1})] == [
        "extra_forbidden", "missing", "enum"]
    output = refresh.fal_schema(bodies, "ToolOutput")
    assert contracts.errors(output, {"image": {"url": "u"}}) == []
    assert contracts.errors(output, {"images": [{"url": "u"}]})  # the one-image shape is enforced


def test_references_reach_the_fields_each_endpoint_documents_and_others_are_refused():
    ideogram, ultra = catalog.get("ideogram3"), catalog.get("flux-pro-ultra")
    form = {"prompt": "a fox", "style_refs": [1, 2], "style_ref_keys": ["u/1/a.png", "u/1/b.png"]}
    assert ideogram.adapter(ideogram.validate(form), URLMedia())["image_urls"] == [
        "https://media.example/u/1/a.png", "https://media.example/u/1/b.png"]
    subject = {"prompt": "a fox", "size": "1:1", "subject_ref": 3, "subject_ref_key": "u/1/s.png"}
    body = ultra.adapter(ultra.validate(subject), URLMedia())
    assert body["image_url"] == "https://media.example/u/1/s.png" and 0 < body["image_prompt_strength"] < 1
    for key, form, words in (("flux-dev", {"style_refs": [1]}, "doesn't support style reference images"),
                             ("ideogram3", {"style_refs": [1, 2, 3, 4, 5]}, "at most 4"),
                             ("ideogram3", {"subject_ref": 1}, "doesn't support a subject reference image"),
                             ("gpt-image", {"subject_ref": 1, "size": "1024x1024"}, "subject reference")):
        with pytest.raises(UserError) as err:
            catalog.get(key).validate({"prompt": "a fox", **form})
        assert words in err.value.message, (key, err.value.message)


def test_images_made_with_a_retired_model_keep_an_honest_label():
    from palett.services.library.gallery._common import model_label

    assert model_label("imagen4") == "Imagen 4 (retired)"
    assert model_label("nano-banana-2") == "Nano Banana 2 (Google Gemini image)"
    assert model_label("no-such-model") == "no-such-model"
