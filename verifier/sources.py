"""Where a credential comes from: a file, standard input, a URL, or a QR code in a photo.

URLs are fetched with a timeout and a size cap. A QR code on a MedCred certificate points at the
verifier page (`.../verify?credential=<URL>`); the credential URL inside such a link is followed
directly, so the CLI and the page verify the same document.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import requests

from verifier.errors import InputError
from verifier.urls import MalformedURLError, check_http_url

MAX_FETCH_BYTES = 2 * 1024 * 1024
USER_AGENT = "MedCred-Verifier/0.1"


class SourceError(InputError):
    """The credential could not be read from where it was said to be."""


def credential_url_from_link(url: str) -> str:
    """The credential URL inside a verifier deep link, or `url` itself, checked by `check_http_url`.

    Raises verifier.urls.MalformedURLError (an InputError) for a URL that cannot be fetched.
    """
    url = check_http_url(url)
    parsed = urlparse(url)
    if parsed.path.rstrip("/").endswith("/verify"):
        inner = parse_qs(parsed.query).get("credential")
        if inner and inner[0].startswith(("http://", "https://")):
            return check_http_url(inner[0])
    return url


def fetch_url(url: str, *, timeout: float = 5.0, max_bytes: int = MAX_FETCH_BYTES) -> bytes:
    """GET `url` asking for JSON; SourceError with a plain sentence on any failure."""
    try:
        url = check_http_url(url)
    except MalformedURLError as exc:
        raise SourceError(str(exc)) from None
    try:
        with requests.get(
            url,
            timeout=timeout,
            stream=True,
            headers={"Accept": "application/ld+json, application/json;q=0.9", "User-Agent": USER_AGENT},
        ) as response:
            if response.status_code != 200:
                raise SourceError(f"{url} answered HTTP {response.status_code}.")
            body = bytearray()
            for chunk in response.iter_content(64 * 1024):
                body += chunk
                if len(body) > max_bytes:
                    raise SourceError(f"{url} sent more than {max_bytes:,} bytes; that is not a credential.")
            return bytes(body)
    except requests.Timeout:
        raise SourceError(f"{url} did not answer within {timeout:g} s.") from None
    except requests.RequestException as exc:
        raise SourceError(f"{url} could not be reached ({exc.__class__.__name__}).") from None


def read_source(source: str, *, timeout: float = 5.0, allow_network: bool = True) -> bytes:
    """The bytes of FILE, URL or '-' (standard input)."""
    if source == "-":
        return sys.stdin.buffer.read(MAX_FETCH_BYTES + 1)
    if source.startswith(("http://", "https://")):
        if not allow_network:
            raise SourceError("Fetching credentials from URLs is switched off in the verifier configuration.")
        return fetch_url(credential_url_from_link(source), timeout=timeout)
    path = Path(source)
    if not path.is_file():
        raise SourceError(f"{source} is not a file, a URL or '-'.")
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_FETCH_BYTES + 1)
    except OSError as exc:
        raise SourceError(f"{source} cannot be read: {exc.strerror}.") from None


def decode_qr(image_path: str | Path) -> str:
    """The text of the QR code in a photo or scan (zxing-cpp)."""
    try:
        import zxingcpp  # noqa: PLC0415 - optional: only `--qr` needs it
        from PIL import Image, UnidentifiedImageError  # noqa: PLC0415
    except ImportError:
        raise SourceError("Reading QR codes needs the 'qr' extra: pip install 'medcred[qr]'.") from None
    try:
        with Image.open(image_path) as image:
            image.load()
            results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    except FileNotFoundError:
        raise SourceError(f"{image_path} does not exist.") from None
    except (UnidentifiedImageError, OSError):
        raise SourceError(f"{image_path} is not an image MedCred can read.") from None
    texts = [r.text for r in results if r.text]
    if not texts:
        raise SourceError(f"No QR code was found in {image_path}.")
    return texts[0]
