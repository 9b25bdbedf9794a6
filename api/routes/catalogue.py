"""The public catalogue (政府信息公开目录) and its search — no token: only public items are reachable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from services.catalogue import CatalogueItem, CataloguePage, CatalogueQuery, CatalogueService
from services.facade import Govpub

router = APIRouter(prefix="/api/v1/catalogue", tags=["catalogue"])


def catalogue(request: Request) -> CatalogueService:
    """The catalogue of the app's application layer."""
    govpub: Govpub = request.app.state.govpub
    return govpub.catalogue


CatalogueDep = Annotated[CatalogueService, Depends(catalogue)]


@router.get("")
def list_catalogue(service: CatalogueDep, query: Annotated[CatalogueQuery, Query()]) -> CataloguePage:
    """Published items, newest first, filtered; with ``q``, those containing every word, title matches first."""
    return service.query(query)


@router.get("/{index_number:path}")
def catalogue_item(service: CatalogueDep, index_number: Annotated[str, Path(max_length=64)]) -> CatalogueItem:
    """One item by its 索引号 (``000014349/2026-00001``); a withdrawn one answers with its notice."""
    return service.get(index_number)
