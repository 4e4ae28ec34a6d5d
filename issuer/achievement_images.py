"""Checking an achievement's image upload: PNG or SVG only, size-bounded, SVG sanitized.

An achievement image is served publicly from MedCred's own origin and shown in learners'
wallets, so a hostile upload must not become a stored XSS. PNGs are decoded by Pillow (the file
must really be a PNG of sane dimensions, not something named .png). SVGs go through svg-hush
(Cloudflare's allow-list SVG sanitizer, via its `py-svg-hush` binding): scripts, event handlers,
`javascript:` and external references, foreign objects are removed; only data: URLs of raster
images survive. The public route also serves SVGs with a `Content-Security-Policy: sandbox`.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from verifier.errors import InputError

PNG = "image/png"
SVG = "image/svg+xml"
MEDIA_TYPES = (PNG, SVG)
MAX_IMAGE_BYTES = 512 * 1024
"""A badge image is a few KB to a few hundred KB; larger uploads are refused."""
MAX_PNG_PIXELS = 2048 * 2048
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_SVG_ROOT = re.compile(rb"<svg[\s>]", re.IGNORECASE)


@dataclass(frozen=True)
class AchievementImage:
    """A checked image: its media type and the bytes to store and serve (sanitized for SVG)."""

    media_type: str
    data: bytes

    @property
    def extension(self) -> str:
        return "png" if self.media_type == PNG else "svg"


def check_image(data: bytes, declared_type: str | None = None) -> AchievementImage:
    """The upload as a safe image, or InputError saying why not.

    `declared_type` (a Content-Type or a file name's media type) must agree with the content
    when given. Raises InputError for an empty, oversized, unknown or malformed file.
    """
    if not data:
        raise InputError("The image is empty.")
    if len(data) > MAX_IMAGE_BYTES:
        raise InputError(f"The image is {len(data) // 1024} KiB; at most {MAX_IMAGE_BYTES // 1024} KiB.")
    declared = (declared_type or "").split(";")[0].strip().lower() or None
    if data.startswith(_PNG_MAGIC):
        kind = PNG
    elif _SVG_ROOT.search(data[:4096]):
        kind = SVG
    else:
        raise InputError("The image must be a PNG or an SVG file.")
    if declared not in (None, kind, "application/octet-stream"):
        raise InputError(f"The file is declared as {declared} but its content is {kind}.")
    return AchievementImage(PNG, _check_png(data)) if kind == PNG else AchievementImage(SVG, _clean_svg(data))


def _check_png(data: bytes) -> bytes:
    from PIL import Image, UnidentifiedImageError  # noqa: PLC0415 - only uploads need Pillow

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                raise InputError("The image is not a PNG file.")
            width, height = image.size
            if width * height > MAX_PNG_PIXELS:
                raise InputError(f"The PNG is {width}x{height} pixels; at most 2048x2048.")
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"The PNG file is damaged or not a PNG ({exc}).") from None
    return data


def _clean_svg(data: bytes) -> bytes:
    import py_svg_hush  # noqa: PLC0415 - only uploads need the sanitizer

    try:
        cleaned = py_svg_hush.filter_svg(data, {"image": ["image/png", "image/jpeg", "image/webp"]})
    except Exception as exc:  # the binding raises its own error types for malformed XML
        raise InputError(f"The SVG file is not well-formed XML: {str(exc)[:200]}") from None
    if not _SVG_ROOT.search(cleaned):
        raise InputError("The SVG file has no <svg> element.")
    return cleaned
