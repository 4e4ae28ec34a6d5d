"""The issuer's database: SQLAlchemy 2 models, Alembic migrations, and small query modules."""

from issuer.storage.database import Database, DatabaseError
from issuer.storage.errors import ConflictError, ForbiddenError, NotFoundError, UnauthorizedError

__all__ = [
    "ConflictError",
    "Database",
    "DatabaseError",
    "ForbiddenError",
    "NotFoundError",
    "UnauthorizedError",
]
