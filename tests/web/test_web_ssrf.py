"""The issuer's own verifier page (`medcred serve`): it may fetch from the issuer's public origin,
and from nothing else internal (issue 9, SSRF)."""

from __future__ import annotations

from flask.testing import FlaskClient
from hostile_servers import SECRET, hostile_server

GENERIC = "the host is unreachable, did not answer in time, or is not a public address."


def test_the_issuer_page_refuses_other_internal_services(client: FlaskClient) -> None:
    with hostile_server() as internal:
        for url in (
            internal.base_url + "/secret",  # another service on the issuer's own machine
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.5:5432/",
        ):
            response = client.get("/verify", query_string={"credential": url})
            page = response.get_data(as_text=True)
            assert response.status_code == 502
            assert GENERIC in page
            assert SECRET["token"] not in page
        assert internal.count() == 0
