"""Alembic migrations of the archive (``baotinh db upgrade``)."""

# The newest revision in versions/: read commands compare an archive with it without loading
# Alembic (tests/test_migrations.py keeps it equal to Alembic's head).
HEAD_REVISION = "0016"
