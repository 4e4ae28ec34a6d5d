"""Where a credential comes from: a file, standard input, a URL, or a QR code in a photo or PDF.

URLs are fetched through the hardened fetcher (`verifier.fetch`): a total deadline, a size cap,
no private addresses unless the configuration allows them. A QR code on a MedCred certificate points at the
verifier page (`.../verify?credential=<URL>`); the credential URL inside such a link is followed
directly, so the CLI and the page verify the same document.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from verifier.errors import InputError
from verifier.fetch import Fetcher, FetchError, FetchPolicy, default_fetcher
from verifier.urls import MalformedURLError, check_http_url

MAX_FETCH_BYTES = 2 * 1024 * 1024
MAX_READ_BYTES = 8 * 1024 * 1024
"""Files and standard input: a baked badge image (verifier.baked) may be larger than a credential."""


class SourceError(InputError):
    """The credential could not be read from where it was said to be. `code`: the fetcher's reason
    (`fetch_url_invalid`, `fetch_unreachable`, ...; see `verifier.fetch.FetchError`) or `source`."""

    def __init__(self, message: str, code: str = "source") -> None:
        super().__init__(message)
        self.code = code


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


def fetch_url(
    url: str, *, fetcher: Fetcher | None = None, timeout: float = 5.0, max_bytes: int = MAX_FETCH_BYTES
) -> bytes:
    """GET `url` asking for JSON through the hardened fetcher (`verifier.fetch`).

    `fetcher` is the configured one (`VerifierConfig.fetcher()`); without it, a shared fetcher with
    `timeout` and `max_bytes` and no allowed private origins. Raises SourceError with the fetcher's
    sentence (which never echoes what the remote host said).
    """
    try:
        url = check_http_url(url)
    except MalformedURLError as exc:
        raise SourceError(str(exc), "fetch_url_invalid") from None
    fetcher = fetcher or default_fetcher(FetchPolicy(timeout=timeout, max_bytes=max_bytes))
    try:
        body = fetcher.get(url, accept="application/ld+json, application/json;q=0.9")
    except FetchError as exc:
        raise SourceError(str(exc), exc.code) from None
    if len(body) > max_bytes:
        raise SourceError(
            f"The document at the link is larger than {max_bytes:,} bytes; that is not a credential.",
            "fetch_too_large",
        )
    return body


def read_source(
    source: str, *, timeout: float = 5.0, allow_network: bool = True, fetcher: Fetcher | None = None
) -> bytes:
    """The bytes of FILE, URL or '-' (standard input); URLs go through `fetcher` (see `fetch_url`)."""
    if source == "-":
        return sys.stdin.buffer.read(MAX_READ_BYTES + 1)
    if source.startswith(("http://", "https://")):
        if not allow_network:
            raise SourceError("Fetching credentials from URLs is switched off in the verifier configuration.")
        return fetch_url(credential_url_from_link(source), fetcher=fetcher, timeout=timeout)
    path = Path(source)
    if not path.is_file():
        raise SourceError(f"{source} is not a file, a URL or '-'.")
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_READ_BYTES + 1)
    except OSError as exc:
        raise SourceError(f"{source} cannot be read: {exc.strerror}.") from None


MAX_QR_FILE_BYTES = 50 * 1024 * 1024
MAX_PDF_PAGES = 10
PDF_RENDER_SCALE = 3.0
"""Pages are rendered at 3 x 72 = 216 dpi: a certificate's QR code (a few centimetres wide, drawn
as vector squares or embedded as an image) then has several pixels per module."""


def decode_qr(image_path: str | Path) -> str:
    """The text of the QR code in a photo, a scan, or a PDF certificate (its first pages rendered
    with PDFium, then read with zxing-cpp). SourceError when there is none or the file is unreadable."""
    try:
        import zxingcpp  # noqa: PLC0415 - optional: only `--qr` needs it
        from PIL import Image, UnidentifiedImageError  # noqa: PLC0415
    except ImportError:
        raise SourceError("Reading QR codes needs the 'qr' extra: pip install 'medcred[qr]'.") from None
    path = Path(image_path)
    try:
        with path.open("rb") as handle:
            head = handle.read(5)
        size = path.stat().st_size
    except FileNotFoundError:
        raise SourceError(f"{image_path} does not exist.") from None
    except OSError as exc:
        raise SourceError(f"{image_path} cannot be read: {exc.strerror}.") from None
    if size > MAX_QR_FILE_BYTES:
        raise SourceError(f"{image_path} is {size:,} bytes, more than a certificate or photo should be.")
    if head == b"%PDF-":
        texts = [t for page in _pdf_pages(path) for t in _qr_texts(zxingcpp, page)]
    else:
        try:
            with Image.open(path) as image:
                image.load()
                texts = _qr_texts(zxingcpp, image)
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
            raise SourceError(f"{image_path} is not an image or PDF MedCred can read.") from None
    if not texts:
        raise SourceError(f"No QR code was found in {image_path}.")
    return texts[0]


def _qr_texts(zxingcpp: Any, image: Any) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode) if r.text]


def _pdf_pages(path: Path) -> Iterator[Any]:
    """The first MAX_PDF_PAGES pages of a PDF as PIL images (pypdfium2, the qr extra)."""
    try:
        import pypdfium2  # noqa: PLC0415 - optional: only `--qr` with a PDF needs it
    except ImportError:
        raise SourceError(
            "Reading PDF certificates needs the 'qr' extra: pip install 'medcred[qr]'."
        ) from None
    try:
        document = pypdfium2.PdfDocument(str(path))
    except pypdfium2.PdfiumError:
        raise SourceError(f"{path} is not a PDF MedCred can read (damaged or encrypted).") from None
    try:
        for index in range(min(len(document), MAX_PDF_PAGES)):
            page = document[index]
            try:
                yield page.render(scale=PDF_RENDER_SCALE).to_pil()
            except pypdfium2.PdfiumError:
                raise SourceError(f"Page {index + 1} of {path} cannot be rendered.") from None
            finally:
                page.close()
    finally:
        document.close()
