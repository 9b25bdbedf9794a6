"""Routers of the HTTP API, one module per audience; each exposes ``router``."""
