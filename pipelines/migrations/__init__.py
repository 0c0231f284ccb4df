"""Alembic migrations of the newsbot schema; run them with ``newsbot db upgrade``."""
