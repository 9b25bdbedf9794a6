"""Conditional GETs of feed head pages answered before routing: readers poll feeds far more often
than feeds change, so "not modified" must cost next to nothing.

Only a GET of ``/feeds/<channel>/{atom.xml,rss.xml,feed.json}`` whose ``If-None-Match`` names the
ETag the application layer holds as fresh (``PublicValidators``, which only knows keys it has
described from the public bucket) is answered here, with the same headers the route sends;
everything else goes on to the app unchanged.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from api.routes.public import HEAD_CACHE, etag_matches, validator_headers
from services.public_objects import PublicValidators

_HEAD_PAGE = re.compile(r"^/feeds/[^/]{1,120}/(?:atom\.xml|rss\.xml|feed\.json)$")


class NotModifiedFastPath:
    """Answer 304 for a head page whose validator is fresh and matches; pass everything else on."""

    def __init__(self, app: ASGIApp, validators: PublicValidators) -> None:
        self.app = app
        self._validators = validators

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request."""
        if scope["type"] == "http" and scope["method"] == "GET" and _HEAD_PAGE.match(scope["path"]):
            wanted = next((v for k, v in scope["headers"] if k == b"if-none-match"), None)
            known = self._validators.cached(scope["path"].removeprefix("/")) if wanted else None
            if known is not None and wanted is not None and etag_matches(wanted.decode("latin-1"), f'"{known.etag}"'):
                headers = [(k.lower().encode(), v.encode()) for k, v in validator_headers(known, HEAD_CACHE).items()]
                await send({"type": "http.response.start", "status": 304, "headers": headers})
                await send({"type": "http.response.body", "body": b""})
                return
        await self.app(scope, receive, send)
