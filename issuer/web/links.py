"""The public URLs of a credential, derived from the service's public base URL.

The service puts `<public base>/credentials/<uuid>` into each credential's `id`; the web layer
serves exactly that path, and every link it hands out (QR codes, certificates, API answers) is
built here from the same base, so a QR code printed today still opens the right page.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

CREDENTIALS_PATH = "/credentials"


@dataclass(frozen=True)
class CredentialLinks:
    base_url: str
    credential_url: str

    @property
    def page(self) -> str:
        return self.credential_url

    @property
    def json(self) -> str:
        return f"{self.credential_url}/credential.json"

    @property
    def qr_png(self) -> str:
        return f"{self.credential_url}/qr.png"

    @property
    def qr_svg(self) -> str:
        return f"{self.credential_url}/qr.svg"

    @property
    def certificate(self) -> str:
        return f"{self.credential_url}/certificate.pdf"

    @property
    def verify(self) -> str:
        """The verifier deep link: what the QR code and the certificate open."""
        return verify_link(self.base_url, self.credential_url)

    def as_dict(self) -> dict[str, str]:
        return {
            "self": self.page,
            "json": self.json,
            "qrPng": self.qr_png,
            "qrSvg": self.qr_svg,
            "certificate": self.certificate,
            "verify": self.verify,
        }


def verify_link(base_url: str, credential_url: str) -> str:
    return f"{base_url}/verify?credential={quote(credential_url, safe='')}"


def links_for(base_url: str, credential_id: str, credential_url: str | None = None) -> CredentialLinks:
    """Links of a credential; `credential_url` (the document's id) wins over the derived one."""
    url = credential_url or f"{base_url}{CREDENTIALS_PATH}/{credential_id}"
    return CredentialLinks(base_url=base_url, credential_url=url)
