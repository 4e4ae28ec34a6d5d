"""The printable certificate: a one-page A4 landscape PDF of a credential, with its verification QR code.

The certificate is a convenience copy: the QR code (and the URL printed under it) opens the
verifier page, which checks the signed credential itself. Every text on the page comes from the
credential and is treated as hostile: it is stripped of control characters, escaped for
reportlab's paragraph mini-markup, cut to a sane length, and then shrunk and, if it still does not
fit its box, truncated with an ellipsis, so that nothing overflows the page or spills onto a
second one.

Unicode names (Zoë Ångström, Nguyễn, Łukasz, Ελένη, Алексей) need a TrueType font: DejaVu Sans and
Serif from Debian's `fonts-dejavu-core` (or a copy in `issuer/fonts/`) are used when present;
otherwise the PDF falls back to the built-in Helvetica/Times, which cover Western European
characters only. Right-to-left scripts are drawn unshaped (a known limitation of reportlab).
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.colors import Color, HexColor
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

from issuer.qr import qr_png
from verifier.dates import signed_at
from verifier.errors import InputError

__all__ = ["DEFAULT_TITLE", "FONT_DIRS", "NO_NAME", "certificate_pdf", "human_date"]

DEFAULT_TITLE = "Certificate of Achievement"
NO_NAME = "Holder of this credential"
FONT_DIRS = (
    Path(__file__).resolve().parent / "fonts",
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian/Ubuntu: fonts-dejavu-core
    Path("/usr/share/fonts/dejavu"),  # Fedora, Arch
    Path("/usr/share/fonts/TTF"),
    Path("/usr/local/share/fonts"),
)
_FONT_FILES = {
    "sans": "DejaVuSans.ttf",
    "sans-bold": "DejaVuSans-Bold.ttf",
    "serif": "DejaVuSerif.ttf",
    "serif-bold": "DejaVuSerif-Bold.ttf",
}
_FALLBACK_FONTS = {
    "sans": "Helvetica",
    "sans-bold": "Helvetica-Bold",
    "serif": "Times-Roman",
    "serif-bold": "Times-Bold",
}
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

NAVY = HexColor("#1F3A5F")
GOLD = HexColor("#B08D57")
INK = HexColor("#1A202C")
GREY = HexColor("#4A5568")
PALE = HexColor("#F7F3EA")

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
ELLIPSIS = "…"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufeff\u202a-\u202e\u2066-\u2069]")
_SPACE = re.compile(r"\s+")


@functools.cache
def _fonts() -> dict[str, str]:
    """Role -> registered font name: DejaVu when every file is found, else the standard 14 fonts."""
    for folder in FONT_DIRS:
        paths = {role: folder / name for role, name in _FONT_FILES.items()}
        if not all(path.is_file() for path in paths.values()):
            continue
        try:
            names = {}
            for role, path in paths.items():
                name = "MedCred-" + path.stem
                if name not in pdfmetrics.getRegisteredFontNames():
                    pdfmetrics.registerFont(TTFont(name, str(path)))
                names[role] = name
        except (TTFError, OSError):
            continue
        return names
    return dict(_FALLBACK_FONTS)


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
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return _clean(text, 40) or None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


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


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _content(credential: Mapping[str, Any], institution_name: str | None) -> _Content:
    subject = _first(credential.get("credentialSubject"))
    subject = subject if isinstance(subject, Mapping) else {}
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, Mapping) else {}
    issuer = credential.get("issuer")
    issuer_name = issuer.get("name") if isinstance(issuer, Mapping) else None
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer

    details: list[tuple[str, str]] = []
    credits_available = achievement.get("creditsAvailable")
    if isinstance(credits_available, int | float) and not isinstance(credits_available, bool):
        details.append(("Credits", f"{credits_available:g}"))
    kind = _clean(achievement.get("achievementType"), 40)
    if kind and not kind.startswith("ext:"):
        details.append(("Type", re.sub(r"(?<=[a-z])(?=[A-Z])", " ", kind)))
    code = _clean(achievement.get("humanCode"), 40)
    if code:
        details.append(("Code", code))

    return _Content(
        institution=_clean(institution_name or issuer_name or "", 300),
        recipient=_clean(subject.get("name"), 300) or NO_NAME,
        achievement=_clean(achievement.get("name") or credential.get("name"), 400) or "Credential",
        description=_clean(achievement.get("description") or credential.get("description"), 1200),
        issued=human_date(signed_at(credential)),
        valid_from=human_date(credential.get("validFrom") or credential.get("issuanceDate")),
        expires=human_date(credential.get("validUntil") or credential.get("expirationDate")),
        credential_id=_clean(credential.get("id"), 300) or "(none)",
        issuer_id=_clean(issuer_id, 300),
        details=tuple(details),
    )


def _style(
    font: str, size: float, color: Color = INK, align: int = TA_CENTER, **extra: Any
) -> ParagraphStyle:
    return ParagraphStyle(
        f"s{font}{size}",
        fontName=font,
        fontSize=size,
        leading=size * 1.22,
        textColor=color,
        alignment=align,
        splitLongWords=1,
        **extra,
    )


def _fit(
    text: str, style: ParagraphStyle, width: float, max_height: float, min_size: float | None = None
) -> tuple[Paragraph, float]:
    """A paragraph of `text` no taller than `max_height`: shrunk down to `min_size`, then truncated with …."""
    sizes = [style.fontSize]
    if min_size is not None:
        size = style.fontSize
        while size - 1 >= min_size:
            size -= 1
            sizes.append(size)

    def build(value: str, size: float) -> tuple[Paragraph, float]:
        fitted = ParagraphStyle(
            "fit", parent=style, fontSize=size, leading=size * style.leading / style.fontSize
        )
        paragraph = Paragraph(escape(value), fitted)
        return paragraph, paragraph.wrap(width, 10_000)[1]

    for size in sizes:
        paragraph, height = build(text, size)
        if height <= max_height:
            return paragraph, height
    # Still too tall at the smallest size: keep the longest prefix that fits, ending with an ellipsis.
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if build(text[:middle].rstrip() + ELLIPSIS, sizes[-1])[1] <= max_height:
            low = middle
        else:
            high = middle - 1
    cut = text[:low]
    space = cut.rfind(" ")
    if space > low - 25:  # prefer a word boundary when one is near
        cut = cut[:space]
    return build(cut.rstrip() + ELLIPSIS, sizes[-1])


def _draw_frame(canvas: Canvas) -> None:
    canvas.setFillColor(PALE)
    canvas.rect(0, 0, PAGE_WIDTH, PAGE_HEIGHT, stroke=0, fill=1)
    canvas.setFillColor(HexColor("#FFFFFF"))
    canvas.rect(18, 18, PAGE_WIDTH - 36, PAGE_HEIGHT - 36, stroke=0, fill=1)
    canvas.setStrokeColor(NAVY)
    canvas.setLineWidth(2.2)
    canvas.rect(18, 18, PAGE_WIDTH - 36, PAGE_HEIGHT - 36, stroke=1, fill=0)
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(0.8)
    canvas.rect(25, 25, PAGE_WIDTH - 50, PAGE_HEIGHT - 50, stroke=1, fill=0)
    # small gold corner squares
    canvas.setFillColor(GOLD)
    for x, y in (
        (25, 25),
        (PAGE_WIDTH - 25, 25),
        (25, PAGE_HEIGHT - 25),
        (PAGE_WIDTH - 25, PAGE_HEIGHT - 25),
    ):
        canvas.rect(x - 3.5, y - 3.5, 7, 7, stroke=0, fill=1)


def _rule(canvas: Canvas, y: float, half_width: float, color: Color = GOLD, width: float = 0.8) -> None:
    canvas.setStrokeColor(color)
    canvas.setLineWidth(width)
    canvas.line(PAGE_WIDTH / 2 - half_width, y, PAGE_WIDTH / 2 + half_width, y)


def certificate_pdf(
    credential: Mapping[str, Any],
    *,
    verify_url: str,
    institution_name: str | None = None,
    title: str = DEFAULT_TITLE,
) -> bytes:
    """A one-page A4 landscape PDF certificate of `credential` with a QR code opening `verify_url`.

    `institution_name` overrides the issuer profile's `name`. The recipient's name is shown if
    the credential carries one (`credentialSubject.name`), else "Holder of this credential".
    Raises InputError if `credential` is not an object or `verify_url` is not a usable URL.
    """
    if not isinstance(credential, Mapping):
        raise InputError("A certificate needs a credential (a JSON object).")
    if not isinstance(verify_url, str) or not re.fullmatch(r"https?://\S+", verify_url):
        raise InputError("The verification URL of a certificate must be an http(s) URL.")
    qr = qr_png(verify_url, box_size=8, error="Q")  # raises InputError if too long
    content = _content(credential, institution_name)
    fonts = _fonts()

    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), pageCompression=1)
    canvas.setTitle(f"{_clean(title, 80)}: {content.achievement[:120]}")
    canvas.setAuthor(content.institution[:120] or content.issuer_id[:120])
    canvas.setSubject(f"{content.achievement[:120]}, awarded to {content.recipient[:120]}")
    canvas.setCreator("MedCred")
    _draw_frame(canvas)

    text_width = 640.0

    # --- the upper group, centred vertically between the frame top and the details block ------
    blocks: list[tuple[Paragraph | None, float, float]] = []  # (paragraph, height, space after)
    if content.institution:
        para, height = _fit(
            content.institution.upper(), _style(fonts["sans-bold"], 13, NAVY), text_width, 31, 9
        )
        blocks.append((para, height, 16))
    para, height = _fit(
        _clean(title, 80) or DEFAULT_TITLE, _style(fonts["serif-bold"], 32, NAVY), text_width, 42, 18
    )
    blocks.append((para, height, 14))
    para, height = _fit("This is to certify that", _style(fonts["sans"], 11.5, GREY), text_width, 16)
    blocks.append((para, height, 8))
    para, height = _fit(content.recipient, _style(fonts["serif-bold"], 27, INK), text_width, 64, 15)
    blocks.append((para, height, 6))
    blocks.append((None, 1, 12))  # rule under the name
    para, height = _fit("has been awarded", _style(fonts["sans"], 11.5, GREY), text_width, 16)
    blocks.append((para, height, 8))
    para, height = _fit(content.achievement, _style(fonts["sans-bold"], 17, NAVY), text_width, 42, 11)
    blocks.append((para, height, 8))
    if content.description:
        para, height = _fit(content.description, _style(fonts["sans"], 9.5, GREY), text_width - 40, 44, 8)
        blocks.append((para, height, 0))

    # Between the frame and the details/QR block; every block is capped, and the gaps shrink if
    # all of them are at their cap, so the group never reaches the block below.
    top, bottom = PAGE_HEIGHT - 46, 228
    heights = sum(h for _, h, _ in blocks)
    gaps = sum(gap for _, _, gap in blocks)
    squeeze = min(1.0, max(0.0, top - bottom - heights) / gaps)
    y = top - max(0.0, (top - bottom - heights - gaps) / 2)
    for para, height, gap in blocks:
        if para is None:
            _rule(canvas, y - height, 150)
        else:
            para.drawOn(canvas, (PAGE_WIDTH - para.width) / 2, y - height)
        y -= height + gap * squeeze

    # --- details (left) ------------------------------------------------------------------------
    label_style = _style(fonts["sans-bold"], 7.5, GREY, TA_LEFT)
    value_style = _style(fonts["sans"], 10, INK, TA_LEFT)
    small_style = _style(fonts["sans"], 8, INK, TA_LEFT, wordWrap="CJK")
    rows: list[tuple[str, str, ParagraphStyle, float]] = [
        ("ISSUED", content.issued or "(not stated)", value_style, 14),
    ]
    if content.valid_from and content.valid_from != content.issued:
        rows.append(("VALID FROM", content.valid_from, value_style, 14))
    rows.append(("VALID UNTIL", content.expires or "No expiry date", value_style, 14))
    rows += [(label.upper(), value, value_style, 14) for label, value in content.details[:2]]
    rows.append(("CREDENTIAL ID", content.credential_id, small_style, 21))
    if content.issuer_id:
        rows.append(("ISSUER", content.issuer_id, _style(fonts["sans"], 7, INK, TA_LEFT, wordWrap="CJK"), 18))
    column_x, column_width, label_width = 62.0, 470.0, 82.0
    y = 196.0
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(0.6)
    canvas.line(column_x, y + 6, column_x + column_width, y + 6)
    for label, value, style, max_height in rows:
        value_para, value_height = _fit(
            value, style, column_width - label_width, max_height, style.fontSize - 2
        )
        label_para, _ = _fit(label, label_style, label_width - 6, 12)
        row_height = max(value_height, 12)
        label_para.drawOn(canvas, column_x, y - 10.5)
        value_para.drawOn(canvas, column_x + label_width, y - value_height)
        y -= row_height + 5

    # --- QR code and URL (right) --------------------------------------------------------------
    qr_size = 112.0
    qr_center = PAGE_WIDTH - 62 - 95
    qr_bottom = 94.0
    caption, _ = _fit("Scan to verify", _style(fonts["sans-bold"], 9, NAVY), 190, 14)
    caption.drawOn(canvas, qr_center - 95, qr_bottom + qr_size + 3)
    canvas.drawImage(ImageReader(io.BytesIO(qr)), qr_center - qr_size / 2, qr_bottom, qr_size, qr_size)
    url_para, url_height = _fit(
        _clean(verify_url, 600), _style(fonts["sans"], 6.5, GREY, wordWrap="CJK"), 190, 26, 5.5
    )
    url_para.drawOn(canvas, qr_center - 95, qr_bottom - 2 - url_height)

    # --- how to verify (footer) ---------------------------------------------------------------
    how = (
        "To verify this certificate, scan the QR code or open the web address printed under it. "
        "The verification page checks the issuer's digital signature, the issuer's registration in the "
        "credential registry, the validity dates, and that the credential has not been revoked. "
        "This printout alone is not proof."
    )
    footer, _ = _fit(how, _style(fonts["sans"], 7.5, GREY), 700, 22, 6)
    footer.drawOn(canvas, (PAGE_WIDTH - 700) / 2, 36)

    canvas.showPage()
    canvas.save()
    return out.getvalue()
