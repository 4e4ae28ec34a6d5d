"""The printable certificate: a one-page A4 landscape PDF of a credential, laid out by WeasyPrint.

The certificate is a convenience copy: its QR code opens the verifier page, which checks the signed
credential itself, and a short address printed under the code (`host/v/5f0c1e9e-8d4b`, see
issuer.short_links) is there to be typed by hand.

Text in any script: the page is HTML/CSS rendered by WeasyPrint, whose text layout is Pango over
HarfBuzz: names are shaped (Arabic joining, Devanagari conjuncts, Thai marks) and set in their own
direction (each field is a bidi-isolated block whose direction is its first strong character's),
and every glyph missing from the main font is taken from another installed font through
fontconfig: Debian's `fonts-noto-core` (Latin, Greek, Cyrillic, Arabic, Hebrew, Devanagari, Thai,
...) and `fonts-noto-cjk` (Chinese, Japanese, Korean), installed by scripts/setup-system.sh. Only
the glyphs used are embedded, with a ToUnicode map, so the text can be searched and extracted.

Every text comes from the credential and is treated as hostile: control and bidi-override
characters are dropped, it is HTML-escaped, cut to a sane length, set smaller when long and clamped
to a few lines with an ellipsis, inside fixed boxes, so nothing overflows the page or spills onto a
second one. Images are only the ones handed in as bytes or as `data:` URIs in the credential
(`issuer.image`, the achievement's `image`); nothing is ever fetched from the network.

A revoked or expired credential gets "REVOKED" / "EXPIRED" stamped across the page.
"""

from __future__ import annotations

import base64
import html
import logging
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from issuer.qr import qr_png
from verifier.dates import signed_at
from verifier.errors import InputError

__all__ = ["DEFAULT_TITLE", "NO_NAME", "certificate_pdf", "certificate_stamp", "human_date"]

DEFAULT_TITLE = "Certificate of Achievement"
NO_NAME = "Holder of this credential"
REVOKED = "REVOKED"
EXPIRED = "EXPIRED"
MAX_IMAGE_BYTES = 2 * 1024 * 1024
"""Larger logos and badge images are left out rather than slowing every certificate down."""
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
ELLIPSIS = "…"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufeff\u202a-\u202e\u2066-\u2069]")
_SPACE = re.compile(r"\s+")
_DATA_URI = re.compile(r"data:(image/(?:png|jpeg|gif|webp|svg\+xml));base64,([A-Za-z0-9+/=\s]+)", re.ASCII)
_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"RIFF", "image/webp"),
)


def _clean(value: Any, limit: int) -> str:
    """A single-line plain string: no control or bidi-override characters, at most `limit` characters."""
    if value is None or isinstance(value, Mapping | list | bool):
        return ""
    text = _SPACE.sub(" ", _CONTROL.sub("", str(value))).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + ELLIPSIS
    return text


def human_date(value: Any) -> str | None:
    """`2026-11-29T10:00:00Z` -> `29 November 2026` (the UTC date); None if absent, the text if unparsable."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    moment = _parse_moment(text)
    if moment is None:
        return _clean(text, 40) or None
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


def _parse_moment(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def certificate_stamp(
    credential: Mapping[str, Any], *, revoked: bool, now: datetime | None = None
) -> str | None:
    """ "REVOKED" if `revoked`, else "EXPIRED" once `validUntil` has passed (at `now`), else None."""
    if revoked:
        return REVOKED
    until = _parse_moment(credential.get("validUntil") or credential.get("expirationDate"))
    if until is not None and until <= (now or datetime.now(UTC)):
        return EXPIRED
    return None


def _direction(text: str) -> str:
    """'rtl' when the first strong character is right-to-left (Hebrew, Arabic...), else 'ltr'."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def _text(tag: str, value: str, css_class: str, **attributes: str) -> str:
    """An HTML element holding `value` escaped, isolated in its own direction."""
    extra = "".join(f' {k}="{html.escape(v)}"' for k, v in attributes.items())
    return f'<{tag} class="{css_class}" dir="{_direction(value)}"{extra}>{html.escape(value)}</{tag}>'


def _sized(value: str, steps: tuple[tuple[int, str], ...]) -> str:
    """The size class for a text of this length: the first step whose limit it does not exceed."""
    for limit, name in steps:
        if len(value) <= limit:
            return name
    return steps[-1][1]


def _image_uri(image: Any) -> str | None:
    """A `data:` URI for image bytes, or the credential's own `data:` URI; None for anything else."""
    if isinstance(image, bytes | bytearray):
        if not image or len(image) > MAX_IMAGE_BYTES:
            return None
        head = bytes(image[:256]).lstrip()
        media = next((m for magic, m in _IMAGE_MAGIC if head.startswith(magic)), None)
        if media is None and (head.startswith((b"<svg", b"<?xml")) and b"<svg" in bytes(image[:4096])):
            media = "image/svg+xml"
        if media is None:
            return None
        return f"data:{media};base64,{base64.b64encode(bytes(image)).decode('ascii')}"
    if isinstance(image, Mapping):
        image = image.get("id")
    if isinstance(image, str) and len(image) <= MAX_IMAGE_BYTES * 4 // 3 + 100:
        match = _DATA_URI.fullmatch(image.strip())
        if match:
            payload = _SPACE.sub("", match.group(2))
            return f"data:{match.group(1)};base64,{payload}"
    return None


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _number(value: Any) -> str | None:
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value) < 1e9
    ):
        return f"{value:g}"
    return None


@dataclass(frozen=True)
class _Content:
    institution: str
    recipient: str
    achievement: str
    description: str
    issued: str | None
    valid_from: str | None
    """Shown only when it is another day than `issued` (a roster's course date)."""
    expires: str | None
    credential_id: str
    issuer_id: str
    details: tuple[tuple[str, str], ...]
    logo: str | None
    badge: str | None


def _content(
    credential: Mapping[str, Any], institution_name: str | None, logo: Any, achievement_image: Any
) -> _Content:
    subject = _first(credential.get("credentialSubject"))
    subject = subject if isinstance(subject, Mapping) else {}
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, Mapping) else {}
    issuer = credential.get("issuer")
    issuer = issuer if isinstance(issuer, Mapping) else {"id": issuer}

    details: list[tuple[str, str]] = []
    earned, available = _number(subject.get("creditsEarned")), _number(achievement.get("creditsAvailable"))
    if earned is not None:
        details.append(("Credits", earned if available in (None, earned) else f"{earned} of {available}"))
    elif available is not None:
        details.append(("Credits", available))
    kind = _clean(achievement.get("achievementType"), 40)
    if kind and not kind.startswith("ext:"):
        details.append(("Type", re.sub(r"(?<=[a-z])(?=[A-Z])", " ", kind)))
    code = _clean(achievement.get("humanCode"), 40)
    if code:
        details.append(("Code", code))

    return _Content(
        institution=_clean(institution_name or issuer.get("name") or "", 300),
        recipient=_clean(subject.get("name"), 300) or NO_NAME,
        achievement=_clean(achievement.get("name") or credential.get("name"), 400) or "Credential",
        description=_clean(achievement.get("description") or credential.get("description"), 1200),
        issued=human_date(signed_at(credential)),
        valid_from=human_date(credential.get("validFrom") or credential.get("issuanceDate")),
        expires=human_date(credential.get("validUntil") or credential.get("expirationDate")),
        credential_id=_clean(credential.get("id"), 300) or "(none)",
        issuer_id=_clean(issuer.get("id"), 300),
        details=tuple(details),
        logo=_image_uri(logo) or _image_uri(issuer.get("image")),
        badge=_image_uri(achievement_image) or _image_uri(achievement.get("image")),
    )


STYLE = """
@page { size: A4 landscape; margin: 0; }
* { box-sizing: border-box; margin: 0; padding: 0; }
html, body { width: 297mm; height: 210mm; overflow: hidden; }
body { font-family: SANS; color: #1A202C; background: #F7F3EA; }
.serif { font-family: SERIF; }
.frame { position: absolute; left: 6.35mm; top: 6.35mm; width: 284.3mm; height: 197.3mm;
         background: #FFFFFF; border: 2.2pt solid #1F3A5F; }
.inner { position: absolute; left: 8.8mm; top: 8.8mm; width: 279.4mm; height: 192.4mm;
         border: 0.8pt solid #B08D57; }
.upper { position: absolute; left: 25mm; top: 14mm; width: 247mm; height: 114mm; overflow: hidden;
         display: table; table-layout: fixed; }
.middle { display: table-cell; vertical-align: middle; text-align: center; width: 247mm; height: 114mm; }
.middle > div { unicode-bidi: isolate; overflow-wrap: anywhere; }
.description { margin-left: auto; margin-right: auto; }
.logo { max-height: 15mm; max-width: 60mm; margin-bottom: 3mm; }
.institution { font-weight: bold; font-size: 13pt; color: #1F3A5F; letter-spacing: 0.04em;
               line-clamp: 2; margin-bottom: 4mm; }
.title { font-weight: bold; font-size: 30pt; color: #1F3A5F; line-clamp: 1; margin-bottom: 4mm; }
.lead { font-size: 11.5pt; color: #4A5568; margin-bottom: 2.5mm; }
.name { font-weight: bold; color: #1A202C; line-clamp: 2; line-height: 1.2; }
.name.n1 { font-size: 27pt; } .name.n2 { font-size: 22pt; } .name.n3 { font-size: 18pt; }
.name.n4 { font-size: 15pt; }
.rule { width: 106mm; border-top: 0.8pt solid #B08D57; margin: 2.5mm auto 4mm auto; }
.achievement { font-weight: bold; color: #1F3A5F; line-clamp: 2; line-height: 1.2; margin-bottom: 2.5mm; }
.achievement.a1 { font-size: 17pt; } .achievement.a2 { font-size: 14pt; } .achievement.a3 { font-size: 11pt; }
.description { font-size: 9.5pt; color: #4A5568; line-clamp: 3; width: 220mm; max-width: 100%; }
.details { position: absolute; left: 22mm; top: 133mm; width: 148mm; height: 50mm; overflow: hidden;
           border-top: 0.6pt solid #B08D57; padding-top: 2mm; }
.details .row { display: flex; align-items: flex-start; padding: 0.6mm 0; }
.details .label { flex: 0 0 29mm; font-size: 7.5pt; color: #4A5568; font-weight: bold; padding-top: 0.4mm; }
.details .value { flex: 1 1 auto; min-width: 0; font-size: 10pt; line-clamp: 1; unicode-bidi: isolate; }
.details .value.small { font-size: 7.5pt; line-clamp: 2; overflow-wrap: anywhere; }
.badge { position: absolute; left: 176mm; top: 136mm; width: 34mm; height: 34mm; object-fit: contain; }
.verify { position: absolute; left: 213mm; top: 124mm; width: 66mm; height: 64mm; text-align: center; }
.verify .caption { font-size: 9pt; font-weight: bold; color: #1F3A5F; margin-bottom: 1mm; }
.verify img { width: 38mm; height: 38mm; image-rendering: pixelated; }
.verify .address { font-size: 9.5pt; color: #1A202C; line-clamp: 2; overflow-wrap: anywhere; }
.verify .address.long { font-size: 6.5pt; line-clamp: 3; }
.footer { position: absolute; left: 25mm; top: 190mm; width: 247mm; height: 9mm; overflow: hidden;
          font-size: 7.5pt; color: #4A5568; text-align: center; line-clamp: 2; }
.stamp { position: absolute; left: 0; top: 80mm; width: 297mm; text-align: center;
         transform: rotate(-18deg); }
.stamp span { display: inline-block; font-size: 96pt; font-weight: bold; letter-spacing: 0.08em;
              color: #C53030; border: 5pt solid #C53030; padding: 0 8mm; opacity: 0.45; }
"""

SCRIPT_FAMILIES = ("Arabic", "Hebrew", "Devanagari", "Thai", "CJK SC", "CJK JP", "CJK KR")
"""Noto families tried, in this order, for characters the main font lacks (Pango falls back along
the list, then to whatever fontconfig finds); Arabic is Naskh in the serif face."""
SANS = ", ".join(
    ['"Noto Sans"', *(f'"Noto Sans {s}"' for s in SCRIPT_FAMILIES), '"DejaVu Sans"', "sans-serif"]
)
SERIF = ", ".join(
    [
        '"Noto Serif"',
        *(f'"Noto Serif {s}"' if s != "Arabic" else '"Noto Naskh Arabic"' for s in SCRIPT_FAMILIES),
        '"DejaVu Serif"',
        "serif",
    ]
)
STYLE = STYLE.replace("SANS", SANS).replace("SERIF", SERIF)

HOW_TO_VERIFY = (
    "To verify this certificate, scan the QR code or type the address printed under it. "
    "The verification page checks the issuer's digital signature, the issuer's registration in the "
    "credential registry, the validity dates, and that the credential has not been revoked. "
    "This printout alone is not proof."
)


def _html(
    content: _Content, title: str, qr: bytes, verify_url: str, short_url: str | None, stamp: str | None
) -> str:
    upper = []
    if content.logo:
        upper.append(f'<div><img class="logo" src="{content.logo}" alt=""></div>')
    if content.institution:
        upper.append(_text("div", content.institution.upper(), "institution"))
    upper.append(_text("div", title, "title serif"))
    upper.append('<div class="lead">This is to certify that</div>')
    size = _sized(content.recipient, ((28, "n1"), (40, "n2"), (60, "n3"), (10**9, "n4")))
    upper.append(_text("div", content.recipient, f"name serif {size}"))
    upper.append('<div class="rule"></div><div class="lead">has been awarded</div>')
    size = _sized(content.achievement, ((60, "a1"), (110, "a2"), (10**9, "a3")))
    upper.append(_text("div", content.achievement, f"achievement {size}"))
    if content.description:
        upper.append(_text("div", content.description, "description"))

    rows: list[tuple[str, str, str]] = [("ISSUED", content.issued or "(not stated)", "")]
    if content.valid_from and content.valid_from != content.issued:
        rows.append(("VALID FROM", content.valid_from, ""))
    rows.append(("VALID UNTIL", content.expires or "No expiry date", ""))
    rows += [(label.upper(), value, "") for label, value in content.details[:3]]
    rows.append(("CREDENTIAL ID", content.credential_id, "small"))
    if content.issuer_id:
        rows.append(("ISSUER", content.issuer_id, "small"))
    table = "".join(
        f'<div class="row"><div class="label">{html.escape(label)}</div>'
        f"{_text('div', value, f'value {css}'.strip())}</div>"
        for label, value, css in rows
    )
    address = short_url or _clean(verify_url, 600)
    address_class = "address" if len(address) <= 60 else "address long"
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}: {html.escape(content.achievement[:120])}</title>",
        f'<meta name="author" content="{html.escape((content.institution or content.issuer_id)[:120])}">',
        f'<meta name="description" content="{html.escape(content.achievement[:120])}, awarded to '
        f'{html.escape(content.recipient[:120])}">',
        '<meta name="generator" content="MedCred">',
        f"<style>{STYLE}</style></head><body>",
        '<div class="frame"></div><div class="inner"></div>',
        f'<div class="upper"><div class="middle">{"".join(upper)}</div></div>',
        f'<div class="details">{table}</div>',
    ]
    if content.badge:
        parts.append(f'<img class="badge" src="{content.badge}" alt="">')
    parts += [
        '<div class="verify"><div class="caption">Scan to verify</div>',
        f'<img src="data:image/png;base64,{base64.b64encode(qr).decode("ascii")}" alt="QR code">',
        f'<div class="{address_class}">{html.escape(address)}</div></div>',
        f'<div class="footer">{html.escape(HOW_TO_VERIFY)}</div>',
    ]
    if stamp:
        parts.append(f'<div class="stamp"><span>{html.escape(stamp)}</span></div>')
    parts.append("</body></html>")
    return "".join(parts)


def certificate_pdf(
    credential: Mapping[str, Any],
    *,
    verify_url: str,
    short_url: str | None = None,
    institution_name: str | None = None,
    title: str = DEFAULT_TITLE,
    stamp: str | None = None,
    logo: bytes | None = None,
    achievement_image: bytes | None = None,
) -> bytes:
    """A one-page A4 landscape PDF certificate of `credential` with a QR code opening `verify_url`.

    `short_url` is the address printed under the code for typing (default: `verify_url` itself).
    `institution_name` overrides the issuer profile's `name`; `stamp` ("REVOKED", "EXPIRED", see
    `certificate_stamp`) is set across the page; `logo` and `achievement_image` (PNG, JPEG, GIF,
    WebP or SVG bytes) override the credential's own `data:` images. The recipient's name is shown
    if the credential carries one (`credentialSubject.name`), else "Holder of this credential".
    Raises InputError if `credential` is not an object or `verify_url` is not a usable URL.
    """
    if not isinstance(credential, Mapping):
        raise InputError("A certificate needs a credential (a JSON object).")
    if not isinstance(verify_url, str) or not re.fullmatch(r"https?://\S+", verify_url):
        raise InputError("The verification URL of a certificate must be an http(s) URL.")
    qr = qr_png(verify_url, box_size=8, error="Q")  # raises InputError if too long
    content = _content(credential, institution_name, logo, achievement_image)
    page = _html(content, _clean(title, 80) or DEFAULT_TITLE, qr, verify_url, short_url, stamp)
    from weasyprint import HTML  # noqa: PLC0415 - WeasyPrint loads Pango: only when a PDF is made
    from weasyprint.urls import URLFetcher  # noqa: PLC0415

    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # a refused image is not worth a warning
    # data: URIs only (the images above): a certificate never reaches the network or the disk.
    return HTML(string=page, url_fetcher=URLFetcher(allowed_protocols=("data",))).write_pdf()
