"""Images people upload: read with a hard cap, checked from their bytes, cleaned, re-encoded and stored.

One module a step, in the order an upload goes through them:

- limits.py: the byte and pixel limits, and reading a body that never holds more than the byte cap;
- checks.py: the type sniffed from magic bytes, the declared size, the header checks a hostile file must
  pass before anything is decoded (notes/image-engines.md, "Decoding untrusted images safely");
- cleaning.py: upright, sRGB, 8-bit pixels;
- reencode.py: the decode pool, and the file written again from pixels only (PNG, or JPEG for big photos);
- storing.py: the stored file, its thumbnail and the GeneratedImage row.
"""

from palett.services.media.uploads.checks import allowed_formats, declared_size, decode, formats_label, sniff
from palett.services.media.uploads.cleaning import clean_pixels
from palett.services.media.uploads.limits import CappedBuffer, limits, read_capped, too_big
from palett.services.media.uploads.reencode import (
    DECODE_SLOTS,
    JPEG_ABOVE_PIXELS,
    JPEG_QUALITY,
    Cleaned,
    clean,
    clean_async,
)
from palett.services.media.uploads.storing import accept_upload, forget, sanitize_filename, store

__all__ = [
    "DECODE_SLOTS", "JPEG_ABOVE_PIXELS", "JPEG_QUALITY", "CappedBuffer", "Cleaned", "accept_upload",
    "allowed_formats", "clean", "clean_async", "clean_pixels", "declared_size", "decode", "forget",
    "formats_label", "limits", "read_capped", "sanitize_filename", "sniff", "store", "too_big",
]
