"""Alembic migrations of the archive (``baotinh db upgrade``)."""
