"""Prefect flows and tasks only: they sequence service calls and wait for people."""
