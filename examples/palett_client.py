"""A small client for Palett's public API, with httpx only: submit a generation, poll it, download its images.

    export PALETT_API_KEY=plt_...                          # from the Developers page
    export PALETT_API_URL=http://localhost:3000/api/v1     # the default: a local `make run`
    python examples/palett_client.py "a quiet harbour at dawn" --out images/
    python examples/palett_client.py --edit photo.jpg --model local-lanczos --set mode=2x --out images/

Every POST carries an Idempotency-Key, so a retry after a network error never makes a second job.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

DONE = {"succeeded", "failed", "cancelled"}


class PalettError(Exception):
    """An API error (application/problem+json): `kind` is the last part of its type, e.g. insufficient-credits."""

    def __init__(self, problem: dict[str, Any]) -> None:
        super().__init__(problem.get("detail") or problem.get("title") or "request failed")
        self.kind = str(problem.get("type", "")).rsplit("/", 1)[-1]
        self.field = problem.get("field")
        self.problem = problem


class Palett:
    def __init__(self, api_key: str, base_url: str = "http://localhost:3000/api/v1", *,
                 client: httpx.Client | None = None) -> None:
        self.http = client or httpx.Client(timeout=60)
        self.base = base_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {api_key}"}

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        response = self.http.request(method, self.base + path, headers=headers, **kwargs)
        if response.status_code >= 400:
            try:
                raise PalettError(response.json())
            except ValueError:
                response.raise_for_status()
        return response.json()

    def me(self) -> dict[str, Any]:
        return self._call("GET", "/me")

    def upload(self, path: Path) -> dict[str, Any]:
        with path.open("rb") as file:
            return self._call("POST", "/uploads", files={"file": (path.name, file)},
                              headers={"Idempotency-Key": str(uuid.uuid4())})

    def submit(self, params: dict[str, Any], idempotency_key: str | None = None) -> dict[str, Any]:
        return self._call("POST", "/generations", json=params,
                          headers={"Idempotency-Key": idempotency_key or str(uuid.uuid4())})

    def get(self, generation_id: int) -> dict[str, Any]:
        return self._call("GET", f"/generations/{generation_id}")

    def cancel(self, generation_id: int) -> dict[str, Any]:
        return self._call("DELETE", f"/generations/{generation_id}")

    def wait(self, generation_id: int, *, timeout: float = 600, every: float = 1.0) -> dict[str, Any]:
        """Poll until the generation is succeeded, failed or cancelled."""
        deadline = time.monotonic() + timeout
        while True:
            generation = self.get(generation_id)
            if generation["status"] in DONE:
                return generation
            if time.monotonic() > deadline:
                raise TimeoutError(f"generation {generation_id} is still {generation['status']}")
            time.sleep(every)

    def download(self, generation: dict[str, Any], folder: Path) -> list[Path]:
        """Save every image of a generation (its signed URLs expire: download soon after polling)."""
        folder.mkdir(parents=True, exist_ok=True)
        saved = []
        for image in generation["images"]:
            response = self.http.get(image["url"])
            response.raise_for_status()
            kind = response.headers.get("content-type", "image/png").split("/")[-1].split(";")[0]
            path = folder / f"palett-{image['id']}.{'jpg' if kind == 'jpeg' else kind}"
            path.write_bytes(response.content)
            saved.append(path)
        return saved


def _setting(text: str) -> tuple[str, Any]:
    name, _, value = text.partition("=")
    try:
        return name, json.loads(value)
    except ValueError:
        return name, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prompt", nargs="?", default="", help="the prompt (text to image, or an edit's prompt)")
    parser.add_argument("--model", default="local-preview", help="a model key from GET /models")
    parser.add_argument("--edit", type=Path, help="upload this image and edit it")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="another setting")
    parser.add_argument("--out", type=Path, default=Path("."), help="where to save the images")
    args = parser.parse_args(argv)
    key = os.environ.get("PALETT_API_KEY", "")
    if not key:
        print("Set PALETT_API_KEY to a key from the Developers page.", file=sys.stderr)
        return 2
    api = Palett(key, os.environ.get("PALETT_API_URL", "http://localhost:3000/api/v1"))
    params: dict[str, Any] = {"model": args.model, **dict(_setting(s) for s in args.set)}
    if args.prompt:
        params["prompt"] = args.prompt
    try:
        if args.edit:
            params["image_id"] = api.upload(args.edit)["id"]
        accepted = api.submit(params)
        print(f"generation {accepted['id']} queued; {accepted['reserved']} credits reserved")
        generation = api.wait(accepted["id"])
    except PalettError as err:
        print(f"refused ({err.kind}{', field ' + err.field if err.field else ''}): {err}", file=sys.stderr)
        return 1
    if generation["status"] != "succeeded":
        print(f"generation {generation['id']} {generation['status']}: {generation['error']} (not charged)",
              file=sys.stderr)
        return 1
    for path in api.download(generation, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
