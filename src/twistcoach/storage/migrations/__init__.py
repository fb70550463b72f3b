"""Alembic migrations of the twistcoach database, run by :func:`twistcoach.storage.init_db`."""
