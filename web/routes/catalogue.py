"""Pages: the public catalogue (政府信息公开目录) — the list with its filters and search, an item's page,
the notice of a withdrawn item. Public: no sign-in, and only what the catalogue service reaches
(published, not withdrawn) can be shown; anything else is the same 404 page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from disclosure.errors import InvalidInput
from services.catalogue import (
    CatalogueEntry,
    CatalogueItemNotFound,
    CatalogueQuery,
    CatalogueService,
    WithdrawnItem,
    public_body,
)
from web.context import govpub_of
from web.session import MaybePrincipal
from web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False)
FIELDS = ("q", "category", "agency", "year", "kind", "validity")
LABELS = {"q": "检索词", "category": "主题分类", "agency": "发布机构", "year": "年份", "kind": "文种",
          "validity": "有效性", "limit": "每页条数", "cursor": "分页"}  # fmt: skip
COUNT_CAP = 1000
MAX_INDEX_NUMBER = 64  # as the API's path parameter


def catalogue_of(request: Request) -> CatalogueService:
    """The catalogue of the app's application layer (the one the API uses)."""
    return govpub_of(request).catalogue


def _message(name: str, error: Any) -> str:  # noqa: ANN401 - a pydantic error dict
    """A validation error of one query field in Chinese words."""
    label, kind, ctx = LABELS.get(name, name), error.get("type", ""), error.get("ctx") or {}
    if kind == "string_too_long":
        return f"{label}最多 {ctx.get('max_length')} 个字符，请缩短后再试。"
    if name == "year":
        return "年份应为四位数字，例如 2025。"
    if name == "validity":
        return "有效性只能选择：有效、失效、废止、已修改。"
    if name == "limit":
        return "每页条数应为 1 至 100 之间的整数。"
    return f"{label}无效，请重新选择或输入。"


def _parse(request: Request) -> tuple[dict[str, str], CatalogueQuery | None, dict[str, str]]:
    """The query's fields as typed, the catalogue query they make (None if invalid), and an error per field."""
    params = request.query_params
    raw = {name: params.get(name, "") for name in (*FIELDS, "cursor", "limit")}
    values = {name: value.strip() for name, value in raw.items() if value.strip()}
    try:
        query = CatalogueQuery.model_validate(values)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "q"
            errors.setdefault(name, _message(name, error))
        return raw, None, errors
    return raw, query, {}


def _link(raw: dict[str, str], **changes: str | None) -> str:
    """The catalogue URL of these fields (empty ones left out) with some changed."""
    values = {**{k: v for k, v in raw.items() if k != "cursor"}, **changes}
    kept = {k: v for k, v in values.items() if v}
    return "/catalogue" + (f"?{urlencode(kept)}" if kept else "")


def highlight(title: str, q: str | None) -> list[tuple[str, bool]]:
    """A title cut into pieces, each marked whether it is one of the search terms (for <mark>)."""
    terms = sorted({t for t in (q or "").split() if t}, key=len, reverse=True)
    folded = title.casefold()
    if len(folded) != len(title):  # folding changed the length (ß → ss): no positions to trust
        return [(title, False)]
    pieces: list[tuple[str, bool]] = []
    start = at = 0
    while at < len(title):
        term = next((t for t in terms if folded.startswith(t.casefold(), at)), None)
        if term is None:
            at += 1
            continue
        if at > start:
            pieces.append((title[start:at], False))
        pieces.append((title[at : at + len(term)], True))
        at = start = at + len(term)
    if start < len(title):
        pieces.append((title[start:], False))
    return pieces


@router.get("/catalogue")
def catalogue_list(request: Request, _principal: MaybePrincipal) -> Response:
    """The list (newest first), filtered, or the search when ``q`` is given; a page at a time."""
    service = catalogue_of(request)
    raw, query, errors = _parse(request)
    facets = service.facets()
    context: dict[str, Any] = {
        "raw": raw, "errors": errors, "facets": facets, "items": [], "count": None, "more": False,
        "next_url": None, "first_url": None, "q": None, "category_options": [(c, c) for c in facets.categories],
        "year_options": [(str(y), f"{y}年") for y in facets.years],
    }  # fmt: skip
    if query is not None:
        try:
            page = service.query(query)
        except InvalidInput:
            errors["cursor"] = "分页链接无效或已过期，请从第一页重新浏览。"
        else:
            count, more = service.count(query, cap=COUNT_CAP)
            excerpts = service.excerpts(query.q, [item.index_number for item in page.items])
            rows = [(item, highlight(item.title, query.q), highlight(excerpts.get(item.index_number, ""), query.q))
                    for item in page.items]  # fmt: skip
            context.update(
                items=rows, count=count, more=more,
                next_url=_link(raw, cursor=page.next) if page.next else None,
                first_url=_link(raw) if query.cursor else None, q=(query.q or "").strip() or None,
            )  # fmt: skip
    context["first_url"] = context["first_url"] or (_link(raw) if "cursor" in errors else None)
    return render(request, "catalogue/list.html", context, status=422 if errors else 200)


@router.get("/catalogue/{index_number:path}")
def catalogue_item(request: Request, index_number: str, _principal: MaybePrincipal) -> Response:
    """An item's page; a withdrawn item's notice (410); anything else, published or not, 404."""
    if not index_number:
        return RedirectResponse("/catalogue", status_code=308)
    item = _find(catalogue_of(request), index_number)
    if item is None:
        return render(request, "catalogue/missing.html", {"index_number": index_number}, status=404)
    if isinstance(item, WithdrawnItem):
        return render(request, "catalogue/withdrawn.html", {"item": item}, status=410)
    return render(request, "catalogue/item.html", {"item": item, "body_html": _body(request, item)})


def _find(service: CatalogueService, index_number: str) -> CatalogueEntry | WithdrawnItem | None:
    """The public item or withdrawal notice of this 索引号; None for anything else (never published,
    under review, or no such number: the same answer)."""
    if len(index_number) > MAX_INDEX_NUMBER:
        return None
    try:
        return service.get(index_number)
    except CatalogueItemNotFound:
        return None


def _body(request: Request, item: CatalogueEntry) -> str:
    """The public copy's body: HTML that publication already sanitised (nh3), read through services."""
    return public_body(govpub_of(request).app, item)
