"""Alembic environment: migrations always run on a connection handed over by `issuer.storage.migrate`.

There is no alembic.ini: the service upgrades its database to head whenever it opens it, and
`python -m issuer.storage.migrate revision -m "..."` creates a new script for developers.
"""

from __future__ import annotations

from alembic import context

from issuer.storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - guards against running `alembic` by hand
    raise RuntimeError("Run migrations through issuer.storage.migrate, which provides the connection.")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
