"""`medcred serve` configured for SMTP from the environment, as an operator runs it: a separate
process on a real anvil node; a credential issued over HTTP is anchored by the server's worker,
and its claim e-mail arrives at a real SMTP server (aiosmtpd); the link in it opens the claim page
VALID; the SMTP password never shows in the server's output."""

from __future__ import annotations

import email
import os
import re
import signal
import subprocess
import sys
import time
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
import requests
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from test_web_serve_command import medcred, wait_until_up
from web_fixtures import free_port

pytestmark = pytest.mark.local
PASSWORD = "serve-smtp-Pa55"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    return AuthResult(success=isinstance(data, LoginPassword) and data.password == PASSWORD.encode())


def test_serve_sends_the_claim_e_mail_after_anchoring(tmp_path: Path) -> None:
    data = tmp_path / "var"
    inbox, smtp_port = Inbox(), free_port()
    smtp = Controller(
        inbox, hostname="127.0.0.1", port=smtp_port, authenticator=authenticator, auth_require_tls=False
    )
    smtp.start()
    medcred(data, "chain", "start", "--port", "18634")
    try:
        token = next(line for line in medcred(data, "run", "--once").splitlines() if line.startswith("mct_"))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "MEDCRED_PUBLIC_URL": base,
            "MEDCRED_BATCH_MAX_AGE": "0.5",
            "MEDCRED_SMTP_HOST": "127.0.0.1",
            "MEDCRED_SMTP_PORT": str(smtp_port),
            "MEDCRED_SMTP_TLS": "none",
            "MEDCRED_SMTP_USER": "medcred",
            "MEDCRED_SMTP_PASSWORD": PASSWORD,
            "MEDCRED_MAIL_FROM": "Demo Registry <registry@example.org>",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "verifier", "--data-dir", str(data), "--chain", "local", "serve",
             "--port", str(port)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            wait_until_up(f"{base}/healthz", process)
            issued = requests.post(
                f"{base}/api/v1/institutions/demo/credentials",
                json={"template": "pals", "email": "served.nurse@example.org", "name": "Served Nurse"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            assert issued.status_code == 201, issued.text
            deadline = time.monotonic() + 90
            while not inbox.messages and time.monotonic() < deadline:
                time.sleep(0.2)
            assert len(inbox.messages) == 1
            message = inbox.messages[0]
            assert message["To"] == "served.nurse@example.org"
            assert message["From"] == "Demo Registry <registry@example.org>"
            text = message.get_body(("plain",)).get_content()
            link = re.search(rf"{re.escape(base)}/claim/[A-Za-z0-9_-]+", text)
            assert link is not None, text
            page = requests.get(link.group(0), timeout=30)
            assert page.status_code == 200
            assert 'data-verdict="VALID"' in page.text and "Served Nurse" in page.text
            answer = requests.get(
                f"{base}/api/v1/institutions/demo/credentials/{issued.json()['id']}",
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            ).json()
            assert answer["delivery"]["state"] == "sent"
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=60)
        assert "Claim e-mails: smtp medcred@127.0.0.1" in output
        assert PASSWORD not in output
    finally:
        medcred(data, "chain", "stop")
        smtp.stop()
