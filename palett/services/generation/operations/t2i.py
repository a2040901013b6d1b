"""Text to image: the studio's operation. Its models are in services/generation/t2i_models.py (one file)."""

from palett.services.generation.catalog import T2IInput
from palett.services.generation.operations._base import Operation, OpKey, register

OPERATION = register(Operation(
    key=OpKey.T2I, label="Text to image", icon="sparkles", hint="Make images from a prompt.",
    input_model=T2IInput, order=0, in_editor=False,
))
