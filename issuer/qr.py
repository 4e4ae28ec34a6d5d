"""QR codes for credentials: PNG and SVG of the verification URL (segno, pure Python).

The error correction level is M (15 % of the symbol may be damaged) by default, or Q (25 %) for
print, where a certificate may be folded, smudged or photographed at an angle. The level is never
silently raised, so the symbol's size stays predictable. The quiet zone (`border`) is the 4 modules
the QR standard requires; scanners fail more often without it.
"""

from __future__ import annotations

import io

import segno
from segno.encoder import DataOverflowError

from verifier.errors import InputError

__all__ = ["ERROR_LEVELS", "qr_png", "qr_svg"]

ERROR_LEVELS = ("M", "Q")
QUIET_ZONE = 4
MAX_URL_LENGTH = 2000


def _make(url: str, error: str) -> segno.QRCode:
    if not isinstance(url, str) or not url.strip():
        raise InputError("A QR code needs a non-empty URL.")
    if error.upper() not in ERROR_LEVELS:
        raise InputError(f"The QR error correction level must be one of {', '.join(ERROR_LEVELS)}.")
    if len(url) > MAX_URL_LENGTH:
        raise InputError(f"The URL is too long for a QR code (more than {MAX_URL_LENGTH} characters).")
    try:
        # micro=False: Micro QR codes are not read by phone cameras.
        return segno.make_qr(url, error=error.lower(), boost_error=False)
    except DataOverflowError as exc:
        raise InputError("The URL is too long for a QR code.") from exc


def qr_png(
    url: str,
    *,
    box_size: int = 10,
    border: int = QUIET_ZONE,
    error: str = "M",
    dpi: int | None = None,
) -> bytes:
    """A black-on-white PNG of `url`, `box_size` pixels per module, `border` modules of quiet zone."""
    if not 1 <= box_size <= 100 or not 0 <= border <= 20:
        raise InputError("The QR box size must be 1-100 pixels and the border 0-20 modules.")
    out = io.BytesIO()
    _make(url, error).save(out, kind="png", scale=box_size, border=border, dpi=dpi, dark="#000", light="#fff")
    return out.getvalue()


def qr_svg(
    url: str,
    *,
    box_size: int = 10,
    border: int = QUIET_ZONE,
    error: str = "M",
    title: str | None = None,
    scalable: bool = False,
) -> str:
    """A standalone SVG document of `url` (no XML declaration, so it can also be inlined in HTML).

    `title` becomes the SVG's <title> (accessible name; escaped by segno). `scalable=True` leaves
    out width/height and keeps the viewBox, so CSS decides the size.
    """
    if not 1 <= box_size <= 100 or not 0 <= border <= 20:
        raise InputError("The QR box size must be 1-100 pixels and the border 0-20 modules.")
    out = io.BytesIO()
    _make(url, error).save(
        out,
        kind="svg",
        scale=box_size,
        border=border,
        xmldecl=False,
        title=title,
        omitsize=scalable,
        nl=False,
        dark="#000",
        light="#fff",  # an opaque background: a transparent one is unreadable on a dark page
    )
    return out.getvalue().decode("utf-8")
