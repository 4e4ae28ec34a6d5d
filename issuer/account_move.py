"""A new Ethereum account for an institution whose account was compromised or lost.

The registry keeps an issuer's id, DID, roots, keys and revocations under its issuer id; governance
moves that issuer to a new account (`medcred registry move-issuer OLD NEW`, the contract's
`moveIssuer`), and the old account can never act again. This module makes the institution's side:
a fresh account, sealed like the first one, and the sentence telling governance what to run. Until
governance has moved the issuer, the institution cannot anchor (its registration state says why).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eth_account import Account

from issuer.institutions import get_institution, record_event
from issuer.storage.models import AWAITING_GOVERNANCE

if TYPE_CHECKING:
    from issuer.service import IssuerService


def new_account(service: IssuerService, slug: str) -> tuple[str, str]:
    """Replace the institution's Ethereum account by a fresh one; returns (old, new) addresses.

    The old private key is dropped (it is compromised or lost). Funding the new account on a
    development chain happens at the next registration, once governance moved the issuer.
    """
    account = Account.create()
    with service.db.session() as session:
        row = get_institution(session, slug, lock=True)
        old = row.eth_address
        row.eth_address = account.address
        row.eth_key_sealed = service.box.seal(account.key.hex(), f"institution:{slug}:ethereum")
        row.registration_state = AWAITING_GOVERNANCE
        record_event(session, row.id, "institution.new-account", slug, {"old": old, "new": account.address})
    service.chain.invalidate()
    return old, account.address
