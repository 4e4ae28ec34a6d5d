"""Claim e-mails in the admin UI: each credential's delivery state with a resend button, the issue
and roster forms' checkbox, the institution's default switch, and the development mailbox (only
without an SMTP server and only from this machine)."""

from __future__ import annotations

import re

from web_fixtures import WebWorld, admin_login, csrf_from


def test_admin_sees_delivery_states_switches_them_and_reads_the_development_mailbox(world: WebWorld) -> None:
    client = world.client()
    csrf = admin_login(client, world.tokens["admin"])
    dashboard = client.get("/admin/").text
    assert 'name="deliver_by_email" checked' in dashboard  # on by default
    assert "Claim e-mails: on" in dashboard

    def issue(email: str, deliver: bool) -> None:
        form = {
            "csrf_token": csrf,
            "achievement": "template:bls",
            "email": email,
            "name": email.partition("@")[0],
            "deliver_shown": "1",
        }
        if deliver:
            form["deliver_by_email"] = "on"
        assert client.post("/admin/issue", data=form).status_code == 302

    issue("mailed@example.org", True)
    issue("unmailed@example.org", False)
    listed = client.get("/admin/credentials").text
    assert listed.count('data-delivery="waiting"') >= 1 and 'data-delivery="off"' in listed

    world.service.anchor_now()
    world.service.delivery.run_once()
    listed = client.get("/admin/credentials").text
    assert 'data-delivery="sent"' in listed

    mailbox = client.get("/admin/mailbox")
    assert mailbox.status_code == 200
    assert "mailed@example.org" in mailbox.text and "unmailed@example.org" not in mailbox.text
    link = re.search(r'href="(http://medcred\.test/claim/[^"]+)"', mailbox.text)
    assert link is not None
    assert client.get(link.group(1).removeprefix("http://medcred.test")).status_code == 200
    remote = client.get("/admin/mailbox", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert remote.status_code == 404  # not from this machine

    off = next(r for r in world.service.list_credentials("sim", search="unmailed@example.org"))
    answer = client.post(
        f"/admin/credentials/{off.id}/delivery", data={"csrf_token": csrf, "next": "/admin/credentials"}
    )
    assert answer.status_code == 302
    assert world.service.delivery.state(off.id).state == "queued"  # type: ignore[union-attr]
    assert client.post(f"/admin/credentials/{off.id}/delivery", data={}).status_code == 400  # no CSRF token

    assert client.post("/admin/settings/delivery", data={"csrf_token": csrf, "on": "0"}).status_code == 302
    assert world.service.get_institution("sim").deliver_email is False
    assert 'name="deliver_by_email" checked' not in client.get("/admin/").text
    roster = client.get("/admin/roster").text
    assert 'name="deliver_by_email">' in roster  # unchecked
    issued = world.service.issue("sim", "bls", "default.off@example.org", name="Default Off")
    assert world.service.delivery.state(issued.id).state == "off"  # type: ignore[union-attr]
    client.post(
        "/admin/settings/delivery", data={"csrf_token": csrf_from(client.get("/admin/").text), "on": "1"}
    )
    assert world.service.get_institution("sim").deliver_email is True
