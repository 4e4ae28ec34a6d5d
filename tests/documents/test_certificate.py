"""The printable PDF certificate: content, one page whatever the input, hostile text, Unicode, the QR code."""

from __future__ import annotations

import base64
import io
import re
from datetime import UTC, datetime

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from issuer.certificate import NO_NAME, certificate_pdf, certificate_stamp, human_date
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


@pytest.mark.parametrize(
    "name", ["Nguyễn Thị Minh Khai", "Łukasz Żółć", "Ελένη Παπαδοπούλου", "Алексей Иванов"]
)
def test_unicode_names_are_embedded_in_an_installed_font(name: str) -> None:
    pdf = certificate_pdf(_credential(name=name), verify_url=VERIFY)
    reader, text = _read(pdf)
    assert name in text
    fonts = [font.get_object() for font in reader.pages[0]["/Resources"]["/Font"].values()]
    serif = [f for f in fonts if str(f["/BaseFont"]).endswith("Serif-Bold")]
    assert (
        serif and "/FontFile2" in serif[0]["/DescendantFonts"][0].get_object()["/FontDescriptor"]
    )  # embedded


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


def test_revoked_and_expired_certificates_are_stamped() -> None:
    credential = _credential()
    assert certificate_stamp(credential, revoked=False, now=datetime(2027, 1, 1, tzinfo=UTC)) is None
    assert certificate_stamp(credential, revoked=True) == "REVOKED"
    assert (
        certificate_stamp(credential, revoked=False, now=datetime(2028, 11, 29, 10, tzinfo=UTC)) == "EXPIRED"
    )
    assert certificate_stamp(_credential("cpd"), revoked=False, now=datetime(2099, 1, 1, tzinfo=UTC)) is None
    _, plain = _read(certificate_pdf(credential, verify_url=VERIFY))
    assert "REVOKED" not in plain and "EXPIRED" not in plain
    for stamp in ("REVOKED", "EXPIRED"):
        _, text = _read(certificate_pdf(credential, verify_url=VERIFY, stamp=stamp))
        assert stamp in text


def test_short_address_is_printed_and_the_qr_code_keeps_the_full_link() -> None:
    reader, text = _read(
        certificate_pdf(_credential(), verify_url=VERIFY, short_url="issuer.example/v/5f0c1e9e-8d4b")
    )
    assert "issuer.example/v/5f0c1e9e-8d4b" in text and "verify?credential" not in text
    [image] = reader.pages[0].images
    assert [b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))] == [VERIFY]


def _png(color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 30), color).save(out, "PNG")
    return out.getvalue()


def test_logo_and_achievement_image_appear_and_nothing_is_fetched() -> None:
    credential = _credential(signed=False)
    reader, _ = _read(certificate_pdf(credential, verify_url=VERIFY))
    assert len(reader.pages[0].images) == 1  # the QR code alone
    reader, _ = _read(
        certificate_pdf(credential, verify_url=VERIFY, logo=_png("navy"), achievement_image=_png("gold"))
    )
    assert len(reader.pages[0].images) == 3
    # the credential's own images: data: URIs are drawn, network addresses never fetched
    credential["issuer"]["image"] = {
        "id": "data:image/png;base64," + base64.b64encode(_png("red")).decode(),
        "type": "Image",
    }
    credential["credentialSubject"]["achievement"]["image"] = {
        "id": "http://127.0.0.1:9/badge.png",
        "type": "Image",
    }
    reader, _ = _read(certificate_pdf(credential, verify_url=VERIFY))
    assert len(reader.pages[0].images) == 2
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><image href="http://127.0.0.1:9/x.png"/></svg>'
    _read(certificate_pdf(credential, verify_url=VERIFY, achievement_image=svg))  # no fetch, no error
    reader, _ = _read(certificate_pdf(credential, verify_url=VERIFY, logo=b"not an image"))
    assert len(reader.pages[0].images) == 2


def test_credits_earned_and_available() -> None:
    credential = _credential("cpd", signed=False)
    credential["credentialSubject"]["creditsEarned"] = 2.5
    _, text = _read(certificate_pdf(credential, verify_url=VERIFY))
    assert "CREDITS" in text and "2.5 of 3" in text
