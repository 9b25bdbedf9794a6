"""Prefect flows and the services they compose: the composition root of govpub."""
