"""The claim e-mail: what it says and what it deliberately leaves out.

It names the institution, the achievement and, when the credential carries it, the recipient's
own name, and gives the claim link with the date it stops working. Nothing else: no other
person's data, no e-mail hash, no credential id beyond what the link itself opens, no
attachment (the link leads to the files). Plain text with an HTML alternative.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from html import escape


@dataclass(frozen=True)
class ClaimMail:
    """What one claim e-mail says."""

    to: str
    sender: str
    institution: str
    achievement: str
    recipient_name: str | None
    claim_url: str
    new_link_url: str
    expires: datetime


def compose(mail: ClaimMail) -> EmailMessage:
    """The e-mail (RFC 5322, UTF-8) for `mail`."""
    message = EmailMessage()
    message["Subject"] = f"Your credential from {mail.institution}: {mail.achievement}"
    message["From"] = mail.sender
    message["To"] = mail.to
    message["Date"] = format_datetime(datetime.now().astimezone())
    domain = mail.sender.rsplit("@", 1)[-1].strip("> ") or "medcred.invalid"
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    until = mail.expires.strftime("%d %B %Y").lstrip("0")
    greeting = f"Hello {mail.recipient_name}," if mail.recipient_name else "Hello,"
    text = (
        f"{greeting}\n\n"
        f"{mail.institution} has issued you a credential: {mail.achievement}.\n\n"
        f"Open it here to see it, download it (file, PDF certificate, badge image), add it to your "
        f"LinkedIn profile or keep it in a digital wallet:\n\n{mail.claim_url}\n\n"
        f"This link is personal: whoever has it can open your credential. It works until {until}. "
        f"After that, ask for a new link at {mail.new_link_url}\n"
    )
    message.set_content(text)
    html = (
        f"<p>{escape(greeting)}</p>"
        f"<p>{escape(mail.institution)} has issued you a credential: <strong>{escape(mail.achievement)}"
        f"</strong>.</p>"
        f'<p><a href="{escape(mail.claim_url)}">Open your credential</a> to see it, download it (file, '
        f"PDF certificate, badge image), add it to your LinkedIn profile or keep it in a digital "
        f"wallet.</p>"
        f"<p>This link is personal: whoever has it can open your credential. It works until "
        f'{escape(until)}. After that, <a href="{escape(mail.new_link_url)}">ask for a new link</a>.</p>'
    )
    message.add_alternative(html, subtype="html")
    return message
