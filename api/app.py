"""The FastAPI application: created around the application layer, never reading settings itself."""

from __future__ import annotations

import importlib
import logging

from fastapi import Depends, FastAPI

from api import problems
from api.fastpath import NotModifiedFastPath
from api.middleware import RequestIdMiddleware
from api.requestid import install_log_record_factory
from api.strict_query import no_unknown_query
from services.facade import Govpub
from web import app as pages
from web.errors import page_error

logger = logging.getLogger(__name__)

# Each module exposes ``router: fastapi.APIRouter``. catalogue and websub are built beside this
# package; an absent one is skipped (and logged) so the rest of the API still serves.
ROUTERS = (
    "api.routes.public",
    "api.routes.documents",
    "api.routes.reviews",
    "api.routes.office",
    "api.routes.schedule",
    "api.routes.applications",
    "api.routes.reports",
    "api.routes.admin",
    "api.routes.channels",
    "api.routes.catalogue",
    "api.routes.websub",
)
# Public protocol endpoints keep the web's leniency: a feed reader or a WebSub hub client may add
# parameters of its own (cache busters, tracking) and must still get the feed.
LENIENT = frozenset({"api.routes.public", "api.routes.websub"})
DESCRIPTION = """Publishes Chinese government documents only after review.

Every endpoint under `/api/v1/` except the public catalogue needs `Authorization: Bearer <token>`
(`govpub users token create USER`); the feeds, public copies and audit checkpoints are public.
Every failure is `application/problem+json` (RFC 9457) with a `code` and, for invalid input, one
entry per violation in `errors` with its JSON path. Every response carries `X-Request-ID`.
"""


def create_app(govpub: Govpub) -> FastAPI:
    """The API around one application layer."""
    install_log_record_factory()
    app = FastAPI(title="govpub", version="1", description=DESCRIPTION, openapi_url="/openapi.json",
                  docs_url="/docs", redoc_url=None)  # fmt: skip
    app.state.govpub = govpub
    problems.install(app, pages=page_error)
    for name in ROUTERS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            logger.warning("router %s is not installed: its endpoints are absent", name)
            continue
        strict = [] if name in LENIENT else [Depends(no_unknown_query)]
        app.include_router(module.router, responses=problems.problem_responses(*problems.COMMON_STATUSES),
                           dependencies=strict)  # fmt: skip
    pages.install(app)
    app.add_middleware(NotModifiedFastPath, validators=govpub.public_objects)
    app.add_middleware(RequestIdMiddleware)  # added last: outermost, so the fast path's 304s carry an id too
    return app
