"""Public, without a token: feed pages and the public copies they link to, from the public bucket,
with ETag / Last-Modified and 304 on If-None-Match / If-Modified-Since."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request, Response

from api.deps import GovpubDep
from api.problems import problem_responses
from api.schemas import Health
from services.facade import Govpub
from services.public_objects import PublicObject, read_public

router = APIRouter(tags=["public"], responses=problem_responses(404, 422, 503))
Channel = Annotated[str, Path(min_length=1, max_length=120)]
ArchivePage = Annotated[str, Path(pattern=r"^[1-9][0-9]{0,8}\.(atom\.xml|rss\.xml|json)$")]
HEAD_CACHE = "public, no-cache"  # head pages change with every publication: always revalidate
ARCHIVE_CACHE = "public, max-age=300"  # rewritten only when an entry on them is withdrawn


def _responses(*media: str) -> dict[int | str, dict[str, Any]]:
    headers = {"ETag": {"schema": {"type": "string"}}, "Last-Modified": {"schema": {"type": "string"}}}
    return {
        200: {"description": "the object", "headers": headers, "content": {m: {"schema": {}} for m in media}},
        304: {"description": "not modified since the ETag / date the request named", "headers": headers},
    }


_FEEDS = _responses("application/atom+xml", "application/rss+xml", "application/feed+json")
_OBJECTS = _responses("*/*")


@router.get("/healthz", include_in_schema=True)
def healthz() -> Health:
    """The server answers."""
    return Health(status="ok")


@router.get("/feeds/{channel}/{file}", response_class=Response, responses=_FEEDS)
def feed_page(
    request: Request, govpub: GovpubDep, channel: Channel, file: Literal["atom.xml", "rss.xml", "feed.json"]
) -> Response:
    """A channel's head page (Atom 1.0, RSS 2.0, JSON Feed 1.1); api/fastpath.py answers most 304s first."""
    return serve(request, govpub, f"feeds/{channel}/{file}", HEAD_CACHE)


@router.get("/feeds/{channel}/archive/{page}", response_class=Response, responses=_FEEDS)
def archive_page(request: Request, govpub: GovpubDep, channel: Channel, page: ArchivePage) -> Response:
    """An RFC 5005 archive page (``<n>.atom.xml``, ``<n>.rss.xml``, ``<n>.json``)."""
    return serve(request, govpub, f"feeds/{channel}/archive/{page}", ARCHIVE_CACHE)


@router.get("/documents/{key:path}", response_class=Response, responses=_OBJECTS)
def public_copy(request: Request, govpub: GovpubDep, key: Annotated[str, Path(max_length=1000)]) -> Response:
    """A published copy (``<索引号>/<version>/body.html``, ``metadata.json``, attachments, ``status.json``)."""
    return serve(request, govpub, f"documents/{key}", HEAD_CACHE)


@router.get("/audit/{key:path}", response_class=Response, responses=_OBJECTS)
def audit_object(request: Request, govpub: GovpubDep, key: Annotated[str, Path(max_length=200)]) -> Response:
    """A signed checkpoint of the audit log (``checkpoint.json``, ``checkpoints/<size>.json``, ``public-key.json``)."""
    return serve(request, govpub, f"audit/{key}", HEAD_CACHE)


def serve(request: Request, govpub: Govpub, key: str, cache_control: str) -> Response:
    """200 with validators, or 304 when the request's validators still hold."""
    known = govpub.public_objects.cached(key)
    if known is not None and (answer := _conditional(request, known, cache_control)) is not None:
        return answer
    found = govpub.public_objects.describe(key, fresh=True)  # a body goes out with the store's validators
    answer = _conditional(request, found, cache_control)
    if answer is not None:
        return answer
    body = read_public(govpub.app, key)
    return Response(body, media_type=found.content_type, headers=validator_headers(found, cache_control))


def validator_headers(found: PublicObject, cache_control: str) -> dict[str, str]:
    """ETag, Cache-Control and Last-Modified of a public object (the route's and the fast path's)."""
    headers = {"ETag": f'"{found.etag}"', "Cache-Control": cache_control}
    if found.last_modified is not None:
        headers["Last-Modified"] = format_datetime(found.last_modified.astimezone(UTC), usegmt=True)
    return headers


def _conditional(request: Request, found: PublicObject, cache_control: str) -> Response | None:
    """304 when the request's validators still hold, else None."""
    headers = validator_headers(found, cache_control)
    if not_modified(request, headers["ETag"], found.last_modified):
        return Response(status_code=304, headers=headers)
    return None


def not_modified(request: Request, etag: str, last_modified: datetime | None) -> bool:
    """RFC 9110 §13.1: If-None-Match (weak comparison) wins; If-Modified-Since only without it."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return etag_matches(if_none_match, etag)
    since = request.headers.get("if-modified-since")
    if since is None or last_modified is None:
        return False
    try:
        moment = parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError):
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return last_modified.replace(microsecond=0) <= moment


def etag_matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 weak comparison of an If-None-Match list with an ETag (``"…"`` quoted); ``*`` matches."""
    wanted = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in wanted or etag.removeprefix("W/") in wanted
