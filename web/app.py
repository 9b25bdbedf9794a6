"""Installs the pages and their static files on the FastAPI app the API runs in."""

from __future__ import annotations

import importlib
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
PAGE_ROUTERS = (
    "web.routes.auth",
    "web.routes.catalogue",
    "web.routes.drafts",
    "web.routes.reviews",
    "web.routes.office",
    "web.routes.applications",
)


def install(app: FastAPI) -> None:
    """Mount ``/static`` and include every page router (pages are not in the OpenAPI document)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for name in PAGE_ROUTERS:
        app.include_router(importlib.import_module(name).router)
