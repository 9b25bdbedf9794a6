"""What page code reads off a request: the application layer the app was created with."""

from __future__ import annotations

from fastapi import Request

from services.facade import Govpub


def govpub_of(request: Request) -> Govpub:
    """The application layer the app was created with."""
    govpub: Govpub = request.app.state.govpub
    return govpub
