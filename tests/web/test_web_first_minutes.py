"""What a new user meets in the first ten minutes (issue 14): dates that say the same in the three
places, texts that are right, the verifier page's words. Real service, real in-process chain."""

from __future__ import annotations

import html as html_lib
import io
import json
import re
from datetime import UTC, datetime

from pypdf import PdfReader
from web_fixtures import WebWorld, admin_login, csrf_from

from verifier.dates import human_date

ROSTER = "name,email,template,valid_from\nDee Course,dee@example.org,acls,2026-11-28\n"
PAIRS = re.compile(r"<dt>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", re.S)


def _facts(page: str) -> dict[str, str]:
    return {
        html_lib.unescape(k.strip()): html_lib.unescape(re.sub(r"<[^>]+>", "", v)).strip()
        for k, v in PAIRS.findall(page)
    }


def test_human_dates_show_no_time_nobody_gave() -> None:
    assert human_date("2026-11-28T00:00:00Z") == "28 November 2026"
    assert human_date("2026-11-30T08:45:44Z") == "30 November 2026, 08:45 UTC"
    assert human_date(datetime(2026, 11, 28, tzinfo=UTC)) == "28 November 2026"
    assert human_date(None) is None
    assert human_date("soon") == "soon"


def test_issued_valid_from_and_valid_until_say_the_same_in_the_three_places(world: WebWorld, client) -> None:
    issued = world.service.issue_roster("sim", ROSTER).issued[0]
    world.service.anchor_now("sim")
    document = world.service.get_credential(issued.id).document
    signed = human_date(document["proof"][0]["created"])
    assert signed and "2026-11-28" not in document["proof"][0]["created"]  # signed now, not on the course day
    expected = {"Issued": signed, "Valid from": "28 November 2026", "Valid until": "28 November 2028"}

    verifier_page = client.post("/verify", data={"credential_json": json.dumps(document)}).text
    public_page = client.get(f"/credentials/{issued.id}", headers={"Accept": "text/html"}).text
    for page in (verifier_page, public_page):
        facts = _facts(page)
        assert {k: facts.get(k) for k in expected} == expected
        assert "00:00" not in page and "Expires" not in page

    pdf = client.get(f"/credentials/{issued.id}/certificate.pdf")
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf.data)).pages)
    signed_day = signed.split(",")[0]
    assert f"ISSUED {signed_day}" in text
    assert "VALID FROM 28 November 2026" in text and "VALID UNTIL 28 November 2028" in text
    assert "00:00" not in text


def test_the_verifier_page_names_checks_in_words_and_says_when_revoked(world: WebWorld, client) -> None:
    credential_id = world.issue("revoked-later@example.org", "Rev Oked")
    world.service.anchor_now("sim")
    world.service.revoke(credential_id, "issued-in-error")
    document = world.service.get_credential(credential_id).document
    page = client.post("/verify", data={"credential_json": json.dumps(document)}).text
    names = re.findall(r'<span class="name">(.*?)</span>', page)
    assert "Signing key" in names and "Registry record" in names
    assert not [n for n in names if "_" in n or n.islower()]
    verdict = re.search(r'data-check="revocation"[^>]*>.*?<span class="msg">(.*?)</span>', page, re.S)
    assert verdict is not None
    today = datetime.now(UTC)
    assert f"revoked this credential on {today.day} {today:%B %Y}" in html_lib.unescape(verdict.group(1))


def test_a_file_that_is_not_json_leaves_no_empty_facts_card(client) -> None:
    page = client.post("/verify", data={"credential_json": "this is not JSON"}).text
    assert "INVALID" in page
    assert 'class="card facts"' not in page


def test_the_verify_page_has_a_favicon(client) -> None:
    page = client.get("/verify").text
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert icon is not None
    served = client.get(icon.group(1))
    assert served.status_code == 200 and served.mimetype == "image/svg+xml"


def test_the_login_page_shows_a_command_that_works_and_nobody_is_signed_in(client) -> None:
    page = client.get("/admin/login").text
    assert "nobody" not in page and "Signed in as" not in page
    command = re.search(r'<span class="mono">(medcred token create[^<]*)</span>', page)
    assert command is not None and "--institution SLUG" in command.group(1)


def test_after_issuing_the_admin_is_told_who_got_what(world: WebWorld) -> None:
    client = world.client()
    admin_login(client, world.tokens["admin"])
    form = {
        "template": "bls",
        "email": "grace@example.org",
        "name": "Grace Hopper",
        "csrf_token": csrf_from(client.get("/admin/").text),
    }
    response = client.post("/admin/issue", data=form, follow_redirects=True)
    message = re.search(r'<p class="flash ok"[^>]*>(.*?)</p>', response.text, re.S)
    assert message is not None
    text = html_lib.unescape(message.group(1))
    assert text.startswith("Issued Basic Life Support") and "to Grace Hopper: credential " in text


def test_a_semicolon_separated_roster_is_refused_naming_the_separator(world: WebWorld) -> None:
    errors, _ = world.service.validate_roster("email;template;name\na@example.org;acls;A\n")
    assert len(errors) == 1
    assert "separated by semicolons (;), not commas" in str(errors[0])
