"""The operation registry: one module per operation in this package, found and loaded on first use.

Everything that lists, labels or runs operations reads from here: the catalog (models per operation),
the local provider (runners), the editor (tabs, hints, settings) and the labels of job cards, the
gallery and usage. See docs/design.md, "How to add an operation".
"""

from __future__ import annotations

import importlib
import pkgutil

from palett.services.generation.operations import _base
from palett.services.generation.operations._base import (
    MAX_SIDE,
    Control,
    EditInput,
    LocalRunner,
    Operation,
    OpKey,
    local_model,
    register,
)

# Where a gallery image can come from besides an operation.
OTHER_ORIGINS = {"upload": "Upload"}
_loaded = False


def load() -> None:
    """Import every operation module once (each registers itself)."""
    global _loaded
    if not _loaded:
        _loaded = True
        for module in pkgutil.iter_modules(__path__):
            if not module.name.startswith("_"):
                importlib.import_module(f"{__name__}.{module.name}")


def get(key: str) -> Operation | None:
    load()
    return _base._OPERATIONS.get(key)


def all_operations() -> list[Operation]:
    load()
    return sorted(_base._OPERATIONS.values(), key=lambda op: (op.order, op.key))


def editor_operations() -> list[Operation]:
    return [op for op in all_operations() if op.in_editor]


def label_of(key: str) -> str:
    """The one label of an operation (or of an image's other origin, like an upload)."""
    op = get(key)
    if op is not None:
        return op.label
    return OTHER_ORIGINS.get(key) or key.replace("_", " ").capitalize()


__all__ = [
    "MAX_SIDE",
    "OTHER_ORIGINS",
    "Control",
    "EditInput",
    "LocalRunner",
    "OpKey",
    "Operation",
    "all_operations",
    "editor_operations",
    "get",
    "label_of",
    "load",
    "local_model",
    "register",
]
