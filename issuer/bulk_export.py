"""Reading an institution's credentials in bulk, fast and in bounded memory, for every export path:
`medcred export --institution` (files or JSON Lines), the API's JSON Lines stream and its ZIP.

Rows are read a page at a time (`PAGE` rows, keyset-paginated on the primary key, so each page is
an index range with no sort; each page in its own short read transaction: a slow consumer never
holds a snapshot open), straight from the columns, without building service records: the cost
per credential is one JSON parse and one serialization. The order is the credentials' UUIDs (not
issuance time). Selections:

- `state`: `anchored` (anchored, not revoked), `pending` (not yet anchored, not revoked),
  `revoked` (revoked, anchored or not), `all` (the default). The first three do not overlap.
- `since`: issued at or after that moment (a date means its midnight UTC).
- `ids`: exactly those credentials (already checked to be the institution's).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select

from issuer.storage.credentials import compose_document
from issuer.storage.database import Database
from issuer.storage.errors import NotFoundError
from issuer.storage.models import ANCHORED, Credential, Institution
from verifier.errors import InputError

PAGE = 1000
EXPORT_STATES = ("all", "anchored", "pending", "revoked")


@dataclass(frozen=True)
class ExportRow:
    """One credential as exported: its document as it is now and what a manifest lists."""

    id: str
    state: str
    revoked: bool
    issued_at: datetime
    template: str
    recipient_name: str | None
    document: dict[str, Any]

    @property
    def url(self) -> str:
        return str(self.document.get("id") or "")

    def json_line(self) -> str:
        """The credential as one line of JSON Lines (no trailing newline)."""
        return json.dumps(self.document, ensure_ascii=False, separators=(",", ":"))


def parse_since(value: str | date | datetime | None) -> datetime | None:
    """`2026-11-01` or an ISO 8601 date-time as an aware UTC datetime; InputError if unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(str(value).strip().replace("z", "Z"))
    except ValueError:
        raise InputError(
            f"'since' must be a date (YYYY-MM-DD) or an ISO 8601 date-time, not {value!r}."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def export_rows(
    db: Database,
    institution: str,
    *,
    state: str = "all",
    since: datetime | None = None,
    ids: Sequence[str] | None = None,
    page: int = PAGE,
) -> Iterator[ExportRow]:
    """The institution's credentials, in UUID order (or in `ids` order), as `ExportRow`s.

    Raises NotFoundError for an unknown institution and InputError for an unknown `state`, before
    the first row. Documents are composed exactly as the API and the public URL serve them.
    """
    if state not in EXPORT_STATES:
        raise InputError(f"'state' must be one of {', '.join(EXPORT_STATES)}, not {state!r}.")
    institution_id = _institution_id(db, institution)
    if ids is not None:
        yield from _rows_by_id(db, institution_id, ids, page)
        return
    columns = _columns()
    conditions = _conditions(institution_id, state, since)
    last: str | None = None
    while True:
        query = select(*columns).where(*conditions)
        if last is not None:
            query = query.where(Credential.id > last)
        query = query.order_by(Credential.id).limit(page)
        with db.reader() as session:
            rows = session.execute(query).all()
        for row in rows:
            yield _export_row(row)
        if len(rows) < page:
            return
        last = rows[-1].id


def _institution_id(db: Database, slug: str) -> int:
    # Not issuer.institutions.get_institution: that module brings web3, and exports need no chain.
    with db.reader() as session:
        found = session.scalar(select(Institution.id).where(Institution.slug == slug))
    if found is None:
        raise NotFoundError(f"There is no institution {slug!r}.")
    return found


def count_rows(db: Database, institution: str, *, state: str = "all", since: datetime | None = None) -> int:
    """How many credentials `export_rows` yields for this selection (for progress bars)."""
    with db.reader() as session:
        query = select(func.count()).select_from(Credential)
        query = query.where(*_conditions(_institution_id(db, institution), state, since))
        return int(session.scalar(query) or 0)


def _conditions(institution_id: int, state: str, since: datetime | None) -> list[Any]:
    if state not in EXPORT_STATES:
        raise InputError(f"'state' must be one of {', '.join(EXPORT_STATES)}, not {state!r}.")
    conditions: list[Any] = [Credential.institution_id == institution_id]
    if state == "anchored":
        conditions += [Credential.state == ANCHORED, Credential.revoked.is_(False)]
    elif state == "pending":
        conditions += [Credential.state != ANCHORED, Credential.revoked.is_(False)]
    elif state == "revoked":
        conditions.append(Credential.revoked.is_(True))
    if since is not None:
        conditions.append(Credential.issued_at >= since)
    return conditions


def _columns() -> tuple[Any, ...]:
    return (
        Credential.id,
        Credential.state,
        Credential.revoked,
        Credential.issued_at,
        Credential.template,
        Credential.recipient_name,
        Credential.signed_json,
        Credential.anchor_proof_json,
    )


def _rows_by_id(db: Database, institution_id: int, ids: Sequence[str], page: int) -> Iterator[ExportRow]:
    for start in range(0, len(ids), page):
        chunk = list(ids[start : start + page])
        with db.reader() as session:
            found = {
                row.id: row
                for row in session.execute(
                    select(*_columns()).where(
                        Credential.institution_id == institution_id, Credential.id.in_(chunk)
                    )
                )
            }
        for credential_id in chunk:
            if credential_id in found:
                yield _export_row(found[credential_id])


def _export_row(row: Any) -> ExportRow:
    return ExportRow(
        id=row.id,
        state=row.state,
        revoked=bool(row.revoked),
        issued_at=row.issued_at,
        template=row.template,
        recipient_name=row.recipient_name,
        document=compose_document(row.signed_json, row.anchor_proof_json),
    )
