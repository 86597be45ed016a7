"""Alembic migrations of the state database (shipped as package data)."""
