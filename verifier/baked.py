"""Open Badges 3.0 baked images: a credential carried inside a PNG or an SVG.

Baking (1EdTech Open Badges 3.0, "Badge Baking"):

- PNG: an `iTXt` chunk with the keyword `openbadgecredential`, uncompressed, whose text is the
  credential's JSON (or a VC-JWT's compact form). At most one such chunk; baking replaces one that
  is there. Chunks are read and written with `pypng` (pure Python, no image decoding), which also
  checks every chunk's CRC.
- SVG: an `<openbadges:credential>` element (namespace `https://purl.imsglobal.org/ob/v3p0`) right
  after the `<svg>` start tag, holding the JSON in a CDATA section, or a JWT in its `verify`
  attribute. SVGs are parsed with `defusedxml` (no entity expansion, no external entities or DTDs).

`extract_credential(data)` gives the credential text of a baked image (what `medcred verify
badge.png` and the verifier page's upload verify); `bake_png` / `bake_svg` make one (the issuer's
`/credentials/<id>/badge.png|svg`). The verifier's base install needs only these two small
pure-Python libraries.
"""

from __future__ import annotations

import io
import re
import zlib

import png
from defusedxml import ElementTree as SafeElementTree
from defusedxml.common import DefusedXmlException

from verifier.errors import InputError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEYWORD = b"openbadgecredential"
OB_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
MAX_IMAGE_BYTES = 8 * 1024 * 1024
"""A baked badge: an image of at most a few hundred KiB plus a credential of at most 2 MiB."""
MAX_TEXT_BYTES = 2 * 1024 * 1024
_SVG_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*|<!DOCTYPE(?:[^\[>]|\[.*?\])*>\s*)*<svg[\s>]",
    re.DOTALL | re.IGNORECASE,
)
_SVG_ROOT_TAG = re.compile(r"<svg(?:\s+[^\s=<>/]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*>", re.IGNORECASE)


class BakedImageError(InputError):
    """Not a baked badge MedCred can read; `code` is the parse check's machine code."""

    def __init__(self, message: str, code: str = "not_baked") -> None:
        super().__init__(message)
        self.code = code


def is_png(data: bytes | str) -> bool:
    return isinstance(data, bytes) and data.startswith(PNG_SIGNATURE)


def is_svg(data: bytes | str) -> bool:
    head = (data.encode("utf-8", "replace") if isinstance(data, str) else data)[:4096]
    return head.lstrip().startswith(b"\xef\xbb\xbf<") or bool(
        _SVG_START.match(head.removeprefix(b"\xef\xbb\xbf"))
    )


def is_image(data: bytes | str) -> bool:
    """Whether submitted bytes are a PNG or an SVG (then `extract_credential` applies)."""
    return is_png(data) or is_svg(data)


def extract_credential(data: bytes | str) -> str:
    """The credential text (JSON or a compact JWT) baked into a PNG or SVG; BakedImageError if the
    image is damaged, carries no credential, or carries more than one."""
    if len(data) > MAX_IMAGE_BYTES:
        raise BakedImageError(
            f"The image is {len(data):,} bytes; a baked badge is at most {MAX_IMAGE_BYTES:,}.", "too_large"
        )
    if is_png(data):
        assert isinstance(data, bytes)
        return _png_text(data)
    if is_svg(data):
        return _svg_text(data)
    raise BakedImageError("The file is neither a PNG nor an SVG image.", "not_an_image")


# ---------------------------------------------------------------------------- PNG


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    try:
        return [(kind, body) for kind, body in png.Reader(bytes=data).chunks()]
    except (png.FormatError, png.ChunkError, ValueError, EOFError) as exc:
        raise BakedImageError(f"The PNG file is damaged ({exc}).", "damaged_image") from None


def _itxt(body: bytes) -> tuple[bytes, str] | None:
    """(keyword, text) of an iTXt chunk; None if it is malformed."""
    keyword, sep, rest = body.partition(b"\0")
    if not sep or len(rest) < 2:
        return None
    compressed, method, rest = rest[0], rest[1], rest[2:]
    _language, sep1, rest = rest.partition(b"\0")
    _translated, sep2, text = rest.partition(b"\0")
    if not (sep1 and sep2):
        return None
    if compressed:
        if method != 0:
            return None
        inflater = zlib.decompressobj()
        try:
            text = inflater.decompress(text, MAX_TEXT_BYTES + 1)
        except zlib.error:
            return None
        if len(text) > MAX_TEXT_BYTES or inflater.unconsumed_tail:
            raise BakedImageError("The badge's credential is larger than 2 MiB uncompressed.", "too_large")
    try:
        return keyword, text.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _png_text(data: bytes) -> str:
    found = [
        parsed[1]
        for kind, body in _chunks(data)
        if kind == b"iTXt" and (parsed := _itxt(body)) is not None and parsed[0] == KEYWORD
    ]
    if not found:
        raise BakedImageError(
            "This PNG carries no credential (no iTXt chunk 'openbadgecredential'): it is not a baked badge."
        )
    if len(found) > 1:
        raise BakedImageError(
            "This PNG carries more than one credential; a baked badge carries one.", "ambiguous"
        )
    return found[0]


def bake_png(image: bytes, credential: str) -> bytes:
    """`image` (a PNG) with `credential` (JSON text or a compact JWT) in an uncompressed iTXt chunk
    'openbadgecredential' right after IHDR, replacing one already there."""
    chunks = [
        (kind, body)
        for kind, body in _chunks(image)
        if not (kind == b"iTXt" and (parsed := _itxt(body)) is not None and parsed[0] == KEYWORD)
    ]
    itxt = KEYWORD + b"\0" + b"\0\0" + b"\0" + b"\0" + credential.encode("utf-8")
    out = io.BytesIO()
    png.write_chunks(out, [chunks[0], (b"iTXt", itxt), *chunks[1:]])
    return out.getvalue()


# ---------------------------------------------------------------------------- SVG


def _svg_text(data: bytes | str) -> str:
    try:
        root = SafeElementTree.fromstring(data)
    except (DefusedXmlException, SafeElementTree.ParseError, ValueError) as exc:
        raise BakedImageError(
            f"The SVG file is not well-formed or not safe to read ({exc}).", "damaged_image"
        ) from None
    found = root.findall(f".//{{{OB_NAMESPACE}}}credential")
    if root.tag == f"{{{OB_NAMESPACE}}}credential":
        found.insert(0, root)
    if not found:
        raise BakedImageError(
            "This SVG carries no credential (no openbadges:credential element): it is not a baked badge."
        )
    if len(found) > 1:
        raise BakedImageError(
            "This SVG carries more than one credential; a baked badge carries one.", "ambiguous"
        )
    element = found[0]
    jwt = element.get("verify")
    text = jwt if jwt else (element.text or "")
    if not text.strip():
        raise BakedImageError("The SVG's openbadges:credential element is empty.")
    return text.strip()


def bake_svg(svg: bytes | str, credential: str) -> str:
    """`svg` with `credential` (JSON) in an `<openbadges:credential>` CDATA section right after
    the `<svg>` start tag, declaring the namespace there. BakedImageError if `svg` has no
    parsable root start tag or already carries a credential."""
    text = svg.decode("utf-8") if isinstance(svg, bytes) else svg
    text = text.removeprefix("\ufeff")
    if "openbadges:credential" in text or OB_NAMESPACE in text:
        raise BakedImageError("This SVG already carries an Open Badges credential.", "ambiguous")
    match = _SVG_ROOT_TAG.search(text)
    if match is None:
        raise BakedImageError("The SVG has no <svg> start tag MedCred can bake into.", "damaged_image")
    start = match.group(0)[:-1].rstrip() + f' xmlns:openbadges="{OB_NAMESPACE}">'
    cdata = credential.replace("]]>", "]]]]><![CDATA[>")
    element = f"<openbadges:credential><![CDATA[{cdata}]]></openbadges:credential>"
    return text[: match.start()] + start + element + text[match.end() :]
