"""Claim e-mails through a real SMTP server (aiosmtpd, on loopback): what arrives after anchoring,
what it says and leaves out, per-roster and per-request switches, SMTP down (retried with
back-off, then sent), a bounced address (550: failed with the reason) and the resend action;
anchoring goes on while the mail server hangs."""

from __future__ import annotations

import email
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update
from web_fixtures import WebWorld, free_port, make_world

from issuer.delivery.desk import DeliveryDesk
from issuer.delivery.mail_settings import MailSettings
from issuer.storage.models import Delivery, utcnow

BOUNCE = "bounce@example.org"


@dataclass
class Inbox:
    """An aiosmtpd handler: keeps what arrives; refuses BOUNCE with 550 at RCPT."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse: set[str] = field(default_factory=lambda: {BOUNCE})

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def smtp_server(inbox: Inbox, port: int) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def settings_for(port: int, **changes: Any) -> MailSettings:
    values: dict[str, Any] = {
        "host": "127.0.0.1", "port": port, "tls": "none", "sender": "MedCred <no-reply@medcred.test>",
        "retry_initial": 30.0, "retry_max": 600.0, "attempts": 3, "timeout": 5.0,
    }  # fmt: skip
    values.update(changes)
    return MailSettings(**values)


@pytest.fixture(scope="module")
def mail() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = smtp_server(inbox, port)
    yield inbox, port
    controller.stop()


@pytest.fixture(scope="module")
def smtp_world(tmp_path_factory: pytest.TempPathFactory, mail: tuple[Inbox, int]) -> Iterator[WebWorld]:
    world = make_world(tmp_path_factory.mktemp("smtp"))
    service = world.service
    service.delivery = DeliveryDesk(service.db, service.box, service.config.with_(mail=settings_for(mail[1])))
    yield world
    world.service.close()


def body_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def claim_path(message: EmailMessage) -> str:
    link = re.search(r"http://medcred\.test/claim/[A-Za-z0-9_-]+", body_of(message))
    assert link, body_of(message)
    return urlsplit(link.group(0)).path


def make_due(world: WebWorld, credential_id: str) -> None:
    """Skip the back-off wait (tests never wait on time)."""
    with world.service.db.session() as session:
        session.execute(
            update(Delivery).where(Delivery.credential_id == credential_id).values(next_attempt_at=utcnow())
        )


def test_after_anchoring_each_recipient_gets_a_claim_e_mail_with_nothing_else_in_it(
    smtp_world: WebWorld, mail: tuple[Inbox, int]
) -> None:
    inbox, _port = mail
    world, client = smtp_world, smtp_world.client()
    roster = (
        "email,name,template\nnurse.one@example.org,Nurse One,pals\nnurse.two@example.org,Nurse Two,pals\n"
    )
    issued = client.post(
        "/api/v1/institutions/sim/rosters",
        data=roster,
        headers={**world.auth("issue"), "Content-Type": "text/csv"},
    )
    assert issued.status_code == 201, issued.text
    quiet = client.post(
        "/api/v1/institutions/sim/credentials",
        json={"template": "bls", "email": "quiet@example.org", "name": "Quiet One", "deliverByEmail": False},
        headers=world.auth("issue"),
    )
    assert quiet.status_code == 201, quiet.text
    ids = [c["id"] for c in issued.json["credentials"]]

    world.service.delivery.run_once()
    assert inbox.to("nurse.one@example.org") == []  # nothing before anchoring
    listed = client.get("/api/v1/institutions/sim/credentials", headers=world.auth("issue")).json
    states = {c["id"]: c.get("delivery", {}).get("state") for c in listed["credentials"]}
    assert states[ids[0]] == "waiting" and states[quiet.json["id"]] == "off"

    world.service.anchor_now()
    report = world.service.delivery.run_once()
    assert report.sent == 2
    one, two = inbox.to("nurse.one@example.org"), inbox.to("nurse.two@example.org")
    assert len(one) == 1 and len(two) == 1
    assert inbox.to("quiet@example.org") == []
    message = one[0]
    assert message["From"] == "MedCred <no-reply@medcred.test>"
    assert "Simulation Centre" in message["Subject"]
    text = body_of(message) + str(message.get_body(("html",)).get_content())
    assert "Nurse One" in text and "Nurse Two" not in text  # their own name, nobody else's
    document = world.service.get_credential(ids[0]).document
    salted = document["credentialSubject"]["identifier"][0]["identityHash"]
    assert salted not in message.as_string() and "sha256$" not in message.as_string()
    assert ids[0] not in text  # the claim link is the only way in

    page = client.get(claim_path(message))
    assert page.status_code == 200
    assert 'data-verdict="VALID"' in page.text and "Nurse One" in page.text
    api = client.get(f"/api/v1/institutions/sim/credentials/{ids[0]}", headers=world.auth("issue")).json
    assert api["delivery"]["state"] == "sent" and api["delivery"]["sentAt"]


def test_smtp_down_is_retried_with_back_off_and_then_sent(tmp_path: Path) -> None:
    port = free_port()  # nothing listens here yet
    world = make_world(tmp_path)
    service = world.service
    try:
        service.delivery = DeliveryDesk(
            service.db, service.box, service.config.with_(mail=settings_for(port))
        )
        credential_id = world.issue(email="later@example.org", name="Later Person")
        service.anchor_now()
        report = service.delivery.run_once()
        assert report.retrying == 1
        state = service.delivery.state(credential_id)
        assert state is not None
        assert state.state == "queued" and state.attempts == 1
        assert "cannot be reached" in (state.last_error or "")
        assert state.next_attempt_at is not None and state.next_attempt_at > utcnow() + timedelta(seconds=20)
        assert service.delivery.run_once().sent == 0  # not due yet: back-off

        inbox = Inbox()
        controller = smtp_server(inbox, port)
        try:
            make_due(world, credential_id)
            assert service.delivery.run_once().sent == 1
        finally:
            controller.stop()
        assert len(inbox.to("later@example.org")) == 1
        assert service.delivery.state(credential_id).state == "sent"  # type: ignore[union-attr]
    finally:
        service.close()


def test_out_of_attempts_is_failed_with_the_last_reason(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    service = world.service
    try:
        service.delivery = DeliveryDesk(
            service.db, service.box, service.config.with_(mail=settings_for(free_port(), attempts=2))
        )
        credential_id = world.issue(email="never@example.org", name="Never")
        service.anchor_now()
        service.delivery.run_once()
        make_due(world, credential_id)
        assert service.delivery.run_once().failed == 1
        state = service.delivery.state(credential_id)
        assert state is not None and state.state == "failed"
        assert (state.last_error or "").startswith(
            "Gave up after 2 attempts. Last: The mail server cannot be reached"
        )
    finally:
        service.close()


def test_a_bounced_address_fails_with_the_reason_and_can_be_resent(
    smtp_world: WebWorld, mail: tuple[Inbox, int]
) -> None:
    inbox, _port = mail
    world, client = smtp_world, smtp_world.client()
    credential_id = world.issue(email=BOUNCE, name="Bounce Person")
    world.service.anchor_now()
    report = world.service.delivery.run_once()
    assert report.failed == 1
    api = client.get(f"/api/v1/institutions/sim/credentials/{credential_id}", headers=world.auth("issue"))
    delivery = api.json["delivery"]
    assert delivery["state"] == "failed"
    assert delivery["lastError"].startswith("The mail server refused the address: 550")
    assert "User unknown" in delivery["lastError"]
    assert BOUNCE not in delivery["lastError"]  # the database keeps no address in clear
    with world.service.db.reader() as session:
        stored = session.scalars(select(Delivery).where(Delivery.credential_id == credential_id)).one()
        assert BOUNCE not in json.dumps([stored.email_sealed, stored.email_key, stored.last_error])

    url = f"/api/v1/institutions/sim/credentials/{credential_id}/delivery"
    assert client.post(url).status_code == 401
    assert client.post(url, headers=world.auth("other_admin")).status_code == 403
    inbox.refuse.discard(BOUNCE)  # the mailbox exists now
    try:
        resent = client.post(url, headers=world.auth("issue"))
        assert resent.status_code == 202, resent.text
        assert resent.json["state"] == "queued" and resent.json["lastError"] is None
        assert world.service.delivery.run_once().sent == 1
    finally:
        inbox.refuse.add(BOUNCE)
    assert len(inbox.to(BOUNCE)) == 1
    assert world.service.delivery.state(credential_id).state == "sent"  # type: ignore[union-attr]

    world.service.revoke(credential_id, "superseded")
    assert client.post(url, headers=world.auth("issue")).status_code == 409


def test_anchoring_goes_on_while_the_mail_server_hangs(tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)  # accepts connections, never says a word
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    world = make_world(tmp_path)
    service = world.service
    service.delivery = DeliveryDesk(
        service.db,
        service.box,
        service.config.with_(
            mail=settings_for(listener.getsockname()[1], timeout=30.0), mail_poll_interval=0.05
        ),
    )
    try:
        first = world.issue(email="first@example.org", name="First")
        service.anchor_now()
        service.start_worker()  # anchoring and delivery threads
        deadline = time.monotonic() + 20
        while service.delivery.state(first).state != "sending" and time.monotonic() < deadline:  # type: ignore[union-attr]
            time.sleep(0.05)
        assert service.delivery.state(first).state == "sending"  # type: ignore[union-attr]
        second = world.issue(email="second@example.org", name="Second")
        anchored = service.anchor_now(timeout=60)  # the running worker anchors it meanwhile
        assert anchored
        assert service.get_credential(second).state == "anchored"
        assert service.delivery.state(first).state == "sending"  # type: ignore[union-attr] # still stuck
    finally:
        stop.set()
        service.close()
        for s in accepted:
            s.close()
        listener.close()


def test_smtp_login_works_and_the_password_is_never_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    password = "s3cret-Pa55word-xyz"
    logins: list[str] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword) and data.login == b"mailer" and data.password == password.encode()
        )
        logins.append(f"{mechanism}:{ok}")
        return AuthResult(success=ok)

    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=authenticator, auth_require_tls=False
    )
    controller.start()
    caplog.set_level("DEBUG")
    world = make_world(tmp_path)
    service = world.service
    try:
        settings = settings_for(port, user="mailer", password=password)
        assert password not in repr(settings) and password not in settings.describe()
        service.delivery = DeliveryDesk(service.db, service.box, service.config.with_(mail=settings))
        credential_id = world.issue(email="authed@example.org", name="Authed")
        service.anchor_now()
        assert service.delivery.run_once().sent == 1
        assert logins and logins[-1].endswith(":True")
        assert len(inbox.to("authed@example.org")) == 1

        wrong = settings_for(port, user="mailer", password="wrong-password")
        service.delivery = DeliveryDesk(service.db, service.box, service.config.with_(mail=wrong))
        service.delivery.resend(credential_id)
        assert service.delivery.run_once().retrying == 1
        assert "refused the login" in (service.delivery.state(credential_id).last_error or "")  # type: ignore[union-attr]
    finally:
        service.close()
        controller.stop()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert password not in logged and "wrong-password" not in logged
    for path in (tmp_path / "var").rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path


def test_mail_settings_from_the_environment_and_a_file(tmp_path: Path) -> None:
    from issuer.config import ConfigError

    secret = tmp_path / "smtp-password"
    secret.write_text("from-a-file\n")
    config = tmp_path / "mail.toml"
    config.write_text(
        f'[smtp]\nhost = "mail.example.org"\ntls = "tls"\nuser = "medcred"\npassword_file = "{secret}"\n'
        'from = "Registry <registry@example.org>"\nrate = "10/minute"\n'
    )
    settings = MailSettings.from_env(
        "https://credentials.example.org", {"MEDCRED_MAIL_CONFIG": str(config), "MEDCRED_CLAIM_DAYS": "14"}
    )
    assert (settings.host, settings.port, settings.tls, settings.user) == (
        "mail.example.org",
        465,
        "tls",
        "medcred",
    )
    assert settings.password == "from-a-file" and settings.claim_days == 14
    assert settings.sender == "Registry <registry@example.org>" and settings.rate == "10/minute"
    default = MailSettings.from_env("https://credentials.example.org", {})
    assert default.development and default.sender == "MedCred <no-reply@credentials.example.org>"
    assert default.retry_delay(1) == 30 and default.retry_delay(3) == 120 and default.retry_delay(20) == 3600
    for env, words in (
        ({"MEDCRED_SMTP_TLS": "ssl"}, "MEDCRED_SMTP_TLS"),
        ({"MEDCRED_SMTP_PORT": "seventy"}, "MEDCRED_SMTP_PORT"),
        ({"MEDCRED_MAIL_RATE": "lots"}, "MEDCRED_MAIL_RATE"),
        ({"MEDCRED_SMTP_PASSWORD_FILE": str(tmp_path / "missing")}, "password file"),
    ):
        with pytest.raises(ConfigError, match=words):
            MailSettings.from_env("http://127.0.0.1:8000", env)
    config.write_text('[smtp]\nhost = "x"\npassword = "inline"\n')
    with pytest.raises(ConfigError, match="must not hold the password"):
        MailSettings.from_env("http://127.0.0.1:8000", {"MEDCRED_MAIL_CONFIG": str(config)})
