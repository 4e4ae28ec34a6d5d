"""Baked badge images of a credential (Open Badges 3.0 baking, see `verifier.baked`).

The image is the achievement's own (from the catalog) when it has one, else a generated medal
with the achievement's initials. A PNG badge from an SVG-only achievement uses the generated PNG
(MedCred does not rasterize SVG); an SVG badge from a PNG achievement wraps the PNG in an SVG
`<image>` (a data: URL, so the file stands alone). The credential baked in is the document as it
is now: with its anchor proof once anchored.
"""

from __future__ import annotations

import base64
import io
import json
import re
from functools import lru_cache
from html import escape
from typing import Any

from issuer.storage.credentials import achievement_name
from verifier.baked import bake_png, bake_svg

PNG = "image/png"
SVG = "image/svg+xml"
SIZE = 512
ACCENT = (11, 87, 142)


def initials(name: str) -> str:
    """Up to three initials of an achievement's name; a parenthesized code wins ('ACLS')."""
    code = re.search(r"\(([A-Za-z0-9]{2,6})\)", name)
    if code:
        return code.group(1).upper()[:5]
    words = [w for w in re.split(r"[^\w]+", name) if w and w[0].isalnum()]
    return ("".join(w[0] for w in words[:3]) or "★").upper()


def default_svg(name: str) -> str:
    """A generated badge: a medal with the achievement's initials."""
    label = escape(initials(name))
    title = escape(name)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}" width="{SIZE}" height="{SIZE}">'
        f"<title>{title}</title>"
        f'<circle cx="256" cy="256" r="240" fill="#0b578e"/>'
        f'<circle cx="256" cy="256" r="200" fill="none" stroke="#ffffff" stroke-width="8"/>'
        f'<text x="256" y="290" text-anchor="middle" font-family="DejaVu Sans, sans-serif" '
        f'font-size="{110 if len(label) <= 3 else 80}" font-weight="bold" fill="#ffffff">{label}</text>'
        f"</svg>"
    )


@lru_cache(maxsize=64)
def default_png(name: str) -> bytes:
    """The generated medal as a PNG (Pillow)."""
    from PIL import Image, ImageDraw, ImageFont  # noqa: PLC0415 - only badge requests need Pillow

    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((16, 16, SIZE - 16, SIZE - 16), fill=(*ACCENT, 255))
    draw.ellipse((56, 56, SIZE - 56, SIZE - 56), outline=(255, 255, 255, 255), width=8)
    label = initials(name)
    font = ImageFont.load_default(size=110 if len(label) <= 3 else 80)
    draw.text((SIZE / 2, SIZE / 2), label, font=font, fill=(255, 255, 255, 255), anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _credential_text(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def baked_png(document: dict[str, Any], image: tuple[str, bytes] | None) -> bytes:
    """The PNG badge of `document`: the achievement's PNG (or the generated one) baked with it."""
    picture = (
        image[1]
        if image is not None and image[0] == PNG
        else default_png(achievement_name(document) or "Credential")
    )
    return bake_png(picture, _credential_text(document))


def baked_svg(document: dict[str, Any], image: tuple[str, bytes] | None) -> str:
    """The SVG badge of `document`: the achievement's SVG (a PNG wrapped, or the generated one)."""
    if image is not None and image[0] == SVG:
        picture = image[1].decode("utf-8")
    elif image is not None and image[0] == PNG:
        data = base64.b64encode(image[1]).decode("ascii")
        picture = (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}" width="{SIZE}" '
            f'height="{SIZE}"><image width="{SIZE}" height="{SIZE}" '
            f'href="data:image/png;base64,{data}"/></svg>'
        )
    else:
        picture = default_svg(achievement_name(document) or "Credential")
    return bake_svg(picture, _credential_text(document))
