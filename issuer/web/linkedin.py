"""LinkedIn's "Add licence or certification" link for a credential.

LinkedIn documents the profile-add URL (https://www.linkedin.com/profile/add) with
`startTask=CERTIFICATION_NAME` and the certification's fields as query parameters: `name`,
`organizationName`, `issueYear`/`issueMonth`, `expirationYear`/`expirationMonth` (left out when the
credential does not expire), `certUrl` (the credential's public page) and `certId`. The learner's
browser opens it: nothing is sent to LinkedIn by MedCred.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

LINKEDIN_ADD = "https://www.linkedin.com/profile/add"


def linkedin_add_url(
    name: str,
    organization: str,
    issued: datetime,
    expires: datetime | None,
    cert_url: str,
    cert_id: str,
) -> str:
    """The add-certification link; months are 1-12 as LinkedIn expects."""
    params: dict[str, Any] = {
        "startTask": "CERTIFICATION_NAME",
        "name": name,
        "organizationName": organization,
        "issueYear": issued.year,
        "issueMonth": issued.month,
    }
    if expires is not None:
        params["expirationYear"] = expires.year
        params["expirationMonth"] = expires.month
    params["certUrl"] = cert_url
    params["certId"] = cert_id
    return f"{LINKEDIN_ADD}?{urlencode(params)}"
