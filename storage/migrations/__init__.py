"""Alembic migration history of govpub's database."""
