"""The printable PDF certificate: content, one page whatever the input, hostile text, Unicode, the QR code."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

import issuer.certificate as certificate_module
from issuer.certificate import NO_NAME, certificate_pdf, human_date
from issuer.credential_builder import IssuerProfile, Recipient, build_credential
from issuer.keys import Ed25519KeyPair, did_key_for, did_key_verification_method
from issuer.signing import sign
from issuer.status_list import status_entry
from issuer.templates import load_template
from verifier.errors import InputError

KEY = Ed25519KeyPair.from_seed(bytes(range(1, 33)))
DID = did_key_for(KEY.public_key_multibase)
BASE = "https://issuer.st-elsewhere.example"
VERIFY = f"{BASE}/verify?credential={BASE}/credentials/5f0c1e9e-8d4b-4c3a-9a57-0f3c2b1d6e8a"
HAS_DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").is_file()


def _credential(
    template: str = "acls", name: str | None = "Zoë Ångström", *, signed: bool = True, **changes: object
) -> dict:
    credential = build_credential(
        load_template(template),
        IssuerProfile(DID, "St Elsewhere University Hospital"),
        Recipient("zoe@example.org", name=name),
        valid_from=datetime(2026, 11, 29, 10, 0, tzinfo=UTC),
        base_url=BASE,
        credential_status=status_entry(f"{BASE}/status-lists/1", 4242),
    )
    credential.update(changes)
    if not signed:  # the certificate does not need the proof; hostile text may not even canonicalize
        return credential
    return sign(credential, KEY, did_key_verification_method(KEY.public_key_multibase))


def _read(pdf: bytes) -> tuple[PdfReader, str]:
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (842, 595)
    return reader, page.extract_text()


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_certificate_shows_the_credential() -> None:
    credential = _credential()
    reader, text = _read(certificate_pdf(credential, verify_url=VERIFY))
    assert "ST ELSEWHERE UNIVERSITY HOSPITAL" in text
    assert "Certificate of Achievement" in text
    assert "Zoë Ångström" in text
    assert "Advanced Cardiac Life Support (ACLS) Provider" in text
    assert "Recognises a healthcare professional" in text
    assert "29 November 2026" in text  # validFrom
    assert "29 November 2028" in text  # validUntil, two years on
    assert credential["id"] in text
    assert "ACLS-P" in text and "Certification" in text
    assert _squash(VERIFY) in _squash(text)
    assert "scan the QR code" in text
    assert (
        reader.metadata.title == "Certificate of Achievement: Advanced Cardiac Life Support (ACLS) Provider"
    )
    assert reader.metadata.author == "St Elsewhere University Hospital"


def test_qr_code_on_the_certificate_opens_the_verify_url() -> None:
    reader, _ = _read(certificate_pdf(_credential(), verify_url=VERIFY))
    [image] = reader.pages[0].images
    barcodes = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))
    assert [(b.text, b.ec_level) for b in barcodes] == [(VERIFY, "Q")]


def test_nameless_credential_without_expiry_and_institution_override() -> None:
    credential = _credential("cpd", name=None)
    _, text = _read(
        certificate_pdf(credential, verify_url=VERIFY, institution_name="Royal College of Sepsis")
    )
    assert NO_NAME in text
    assert "ROYAL COLLEGE OF SEPSIS" in text and "ST ELSEWHERE" not in text
    assert "No expiry date" in text
    assert "CREDITS" in text and "3" in text


@pytest.mark.skipif(not HAS_DEJAVU, reason="needs fonts-dejavu-core")
@pytest.mark.parametrize(
    "name", ["Nguyễn Thị Minh Khai", "Łukasz Żółć", "Ελένη Παπαδοπούλου", "Алексей Иванов"]
)
def test_unicode_names_render_with_dejavu(name: str) -> None:
    pdf = certificate_pdf(_credential(name=name), verify_url=VERIFY)
    _, text = _read(pdf)
    assert name in text
    assert b"DejaVuSerif-Bold" in pdf  # embedded, so it prints the same everywhere


def test_hostile_and_absurd_text_still_gives_one_valid_page() -> None:
    long = "Lorem ipsum dolor sit amet " * 200  # 5,400 characters
    credential = _credential(id="urn:uuid:" + "x" * 5000, signed=False)
    credential["credentialSubject"]["name"] = (
        "<script>alert('x')</script> & <b>bold</b> &amp; <font size=80>big</font>"
    )
    credential["credentialSubject"]["achievement"]["name"] = "<para>" + "A" * 5000
    credential["credentialSubject"]["achievement"]["description"] = long
    credential["issuer"]["name"] = "Hospital & <Clinic> " + "W" * 5000
    pdf = certificate_pdf(credential, verify_url=VERIFY)
    _, text = _read(pdf)
    assert _squash("<script>alert('x')</script> & <b>bold</b> &amp; <font size=80>big</font>") in _squash(
        text
    )
    assert "HOSPITAL & <CLINIC>" in text
    assert "<para>AAAA" in text
    assert "…" in text  # truncated, not overflowing
    assert len(text) < 8000


def test_control_characters_bidi_overrides_and_surrogates_are_dropped() -> None:
    credential = _credential(signed=False)  # set afterwards: the builder refuses such names
    credential["credentialSubject"]["name"] = "Zo\u00eb\x00\x07\u202e Ång\ud800str\u00f6m\n\tJr"
    _, text = _read(certificate_pdf(credential, verify_url=VERIFY))
    assert "Zoë Ångström Jr" in text


def test_odd_shapes_are_tolerated() -> None:
    credential = {
        "id": "urn:uuid:1",
        "issuer": DID,
        "name": "Basic Life Support",
        "validFrom": "not a date",
        "credentialSubject": [{"name": "A. Person", "achievement": "not an object"}],
    }
    _, text = _read(certificate_pdf(credential, verify_url=VERIFY))
    assert "A. Person" in text and "Basic Life Support" in text and "not a date" in text
    assert DID in _squash(text)
    _, text = _read(certificate_pdf({}, verify_url=VERIFY))
    assert NO_NAME in text and "(not stated)" in text


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"credential": [], "verify_url": VERIFY}, "JSON object"),
        ({"credential": {}, "verify_url": "javascript:alert(1)"}, "http"),
        ({"credential": {}, "verify_url": "https://x.org/a b"}, "http"),
        ({"credential": {}, "verify_url": "https://x.org/" + "a" * 3000}, "too long"),
    ],
)
def test_bad_arguments(kwargs: dict, words: str) -> None:
    with pytest.raises(InputError, match=words):
        certificate_pdf(**kwargs)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-29T10:00:00Z", "29 November 2026"),
        ("2026-11-29T23:30:00-05:00", "30 November 2026"),
        ("2026-01-05", "5 January 2026"),
        ("2026-02-01T00:00:00.123Z", "1 February 2026"),
        ("yesterday", "yesterday"),
        ("", None),
        (None, None),
        (20261129, None),
    ],
)
def test_human_date(value: object, expected: str | None) -> None:
    assert human_date(value) == expected


def test_falls_back_to_builtin_fonts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(certificate_module, "FONT_DIRS", (Path("/nonexistent"),))
    certificate_module._fonts.cache_clear()
    try:
        pdf = certificate_pdf(_credential(name="Zoë Nguyễn"), verify_url=VERIFY)
        _, text = _read(pdf)
        assert "Zoë" in text
        assert b"Helvetica" in pdf and b"DejaVu" not in pdf
    finally:
        certificate_module._fonts.cache_clear()
