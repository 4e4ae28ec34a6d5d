"""QR codes decode back to the URL with a real decoder (zxing-cpp), as PNG and as SVG."""

from __future__ import annotations

import io
import re
import string
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from issuer.qr import qr_png, qr_svg
from verifier.errors import InputError

SVG_NS = "{http://www.w3.org/2000/svg}"
VERIFY_URL = (
    "https://verify.st-elsewhere.example/verify?credential="
    "https%3A%2F%2Fissuer.st-elsewhere.example%2Fcredentials%2F5f0c1e9e-8d4b-4c3a-9a57-0f3c2b1d6e8a"
)


def _decode(image: Image.Image) -> list[zxingcpp.Barcode]:
    return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)


def _decode_png(png: bytes) -> zxingcpp.Barcode:
    image = Image.open(io.BytesIO(png))
    [barcode] = _decode(image)
    return barcode


def _rasterize_segno_svg(svg: str, scale: int = 4) -> Image.Image:
    """Draw the SVG's module path (segno writes `M x y h n m dx dy ...` along row centres)."""
    root = ET.fromstring(svg)
    size = int(float(root.get("viewBox", f"0 0 {root.get('width')} {root.get('height')}").split()[2]))
    lines = [p for p in root.iter(f"{SVG_NS}path") if p.get("stroke")]
    [path] = lines
    transform = path.get("transform") or next(root.iter(f"{SVG_NS}g")).get("transform")
    module_scale = int(re.fullmatch(r"scale\((\d+)\)", transform).group(1))  # type: ignore[union-attr]
    modules = size // module_scale
    image = Image.new("L", (modules * scale, modules * scale), 255)
    draw = ImageDraw.Draw(image)
    x = y = 0.0
    for command, args in re.findall(r"([MmHh])([-0-9. ]+)", path.get("d", "")):
        numbers = [float(n) for n in args.split()]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        else:
            end = x + numbers[0] if command == "h" else numbers[0]
            row = int(y - 0.5)
            draw.rectangle([x * scale, row * scale, end * scale - 1, (row + 1) * scale - 1], fill=0)
            x = end
    return image


@pytest.mark.parametrize("error", ["M", "Q"])
@pytest.mark.parametrize("url", ["https://x.org/v/1", VERIFY_URL, VERIFY_URL + "&pad=" + "a" * 800])
def test_png_decodes_to_the_url(url: str, error: str) -> None:
    png = qr_png(url, error=error)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    barcode = _decode_png(png)
    assert barcode.text == url
    assert barcode.ec_level == error


def test_png_geometry() -> None:
    image = Image.open(io.BytesIO(qr_png("https://x.org", box_size=3, border=4)))
    # version 1 is 21 modules, plus 4 quiet modules each side, 3 px each
    assert image.size == ((21 + 8) * 3, (21 + 8) * 3)
    assert image.getpixel((0, 0)) != 0  # quiet zone is light


def test_svg_is_well_formed_and_decodes_to_the_url() -> None:
    svg = qr_svg(VERIFY_URL, title="Verify <this> & that", error="Q")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    assert root.find(f"{SVG_NS}title").text == "Verify <this> & that"  # type: ignore[union-attr]
    assert root.get("width") == root.get("height")
    [barcode] = _decode(_rasterize_segno_svg(svg))
    assert barcode.text == VERIFY_URL
    assert barcode.ec_level == "Q"


def test_scalable_svg_has_a_viewbox_and_no_size() -> None:
    svg = qr_svg("https://x.org", scalable=True)
    root = ET.fromstring(svg)
    assert root.get("width") is None
    assert root.get("viewBox") == "0 0 290 290"  # (21 + 8) modules of 10
    [barcode] = _decode(_rasterize_segno_svg(svg))
    assert barcode.text == "https://x.org"


@settings(max_examples=25, deadline=None)
@given(
    st.text(
        alphabet=string.ascii_letters + string.digits + "-._~:/?#[]@!$&'()*+,;=%", min_size=1, max_size=300
    )
)
def test_random_urls_round_trip(path: str) -> None:
    url = "https://issuer.example/" + path
    assert _decode_png(qr_png(url, box_size=4)).text == url


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: qr_png(""), "non-empty"),
        (lambda: qr_png(None), "non-empty"),  # type: ignore[arg-type]
        (lambda: qr_png("https://x.org/" + "a" * 2500), "too long"),
        (lambda: qr_svg("https://x.org/" + "a" * 1900, error="Q"), "too long"),
        (lambda: qr_png("https://x.org", error="L"), "error correction"),
        (lambda: qr_png("https://x.org", box_size=0), "box size"),
        (lambda: qr_svg("https://x.org", border=-1), "border"),
    ],
)
def test_bad_input_is_an_input_error(call, words: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=words):
        call()
