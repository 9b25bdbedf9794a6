"""One error shape for every failure: RFC 9457 ``application/problem+json``.

``code`` is stable for programs (invalid_input, unauthenticated, forbidden, not_found, rule_violation,
payload_too_large, service_unavailable, internal_error, …); ``errors`` lists every violation of a
validation failure with its JSON path, exactly as intake reports them. No stack trace, no internal
message of an unexpected error ever reaches a client: those are logged with the request id.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from api.deps import authenticate_first
from api.requestid import current_request_id
from disclosure.errors import (
    Forbidden,
    GovpubError,
    InvalidInput,
    NotFound,
    RuleViolation,
    ServiceUnavailable,
    Unauthenticated,
    Violation,
)

logger = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://govpub.example/problems/"  # documentation of each code; never dereferenced by govpub


class ProblemError(BaseModel):
    """One violation: where (a JSON path such as ``$.title`` or ``query.limit``) and what."""

    path: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, with govpub's ``code``, the request id and, for validation, the violations."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    request_id: str
    errors: list[ProblemError] = Field(default_factory=list)


class UploadTooLarge(GovpubError):
    """An uploaded part exceeds GOVPUB_API_MAX_UPLOAD_BYTES."""


class UnsupportedMediaType(GovpubError):
    """The request body is neither JSON nor multipart/form-data."""


def problem_response(
    status: int, code: str, detail: str, *, errors: Sequence[Violation] = (), headers: Mapping[str, str] | None = None
) -> Response:
    """A problem+json response."""
    body = Problem(
        type=TYPE_BASE + code, title=HTTPStatus(status).phrase, status=status, detail=detail, code=code,
        request_id=current_request_id(), errors=[ProblemError(path=v.path, message=v.message) for v in errors],
    )  # fmt: skip
    return Response(body.model_dump_json(), status_code=status, media_type=MEDIA_TYPE, headers=dict(headers or {}))


def internal_error() -> bytes:
    """The body of a 500: nothing about what went wrong, only the id to quote to an operator."""
    body = Problem(type=TYPE_BASE + "internal_error", title="Internal Server Error", status=500,
                   detail="an unexpected error; the operator can find it in the logs by its request id",
                   code="internal_error", request_id=current_request_id())  # fmt: skip
    return body.model_dump_json().encode("utf-8")


# The first entry an error is an instance of decides (subclasses before their bases).
_STATUSES: tuple[tuple[type[GovpubError], int, str], ...] = (
    (Forbidden, 403, "forbidden"),
    (NotFound, 404, "not_found"),
    (RuleViolation, 409, "rule_violation"),
    (UploadTooLarge, 413, "payload_too_large"),
    (UnsupportedMediaType, 415, "unsupported_media_type"),
)


def _govpub_error(request: Request, exc: Exception) -> Response:
    """Map govpub's error tree onto statuses."""
    if isinstance(exc, InvalidInput):
        return problem_response(422, "invalid_input", "the input breaks the contract", errors=exc.violations)
    if isinstance(exc, Unauthenticated):
        return unauthenticated(str(exc))
    if isinstance(exc, ServiceUnavailable):
        logger.warning("service unavailable: %s", exc)
        # an authenticated caller learns what happened (e.g. "recorded, but the flow run could not be
        # resumed"); the public only that it should retry
        known = getattr(request.state, "principal", None) is not None
        detail = str(exc) if known else "a backing service is unavailable; try again later"
        return problem_response(503, "service_unavailable", detail, headers={"Retry-After": "30"})
    for kind, status, code in _STATUSES:
        if isinstance(exc, kind):
            return problem_response(status, code, str(exc) or HTTPStatus(status).phrase)
    logger.error("govpub error answered as 500: %s: %s", type(exc).__name__, exc)
    return Response(internal_error(), status_code=500, media_type=MEDIA_TYPE)


def unauthenticated(detail: str = "a valid bearer token is required") -> Response:
    """401 with the challenge RFC 6750 asks for."""
    return problem_response(401, "unauthenticated", detail, headers={"WWW-Authenticate": 'Bearer realm="govpub"'})


def _request_validation(request: Request, exc: Exception) -> Response:
    """FastAPI's own validation errors, in the same shape as intake's (after authentication: a
    caller without valid credentials learns nothing about the body it sent)."""
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for this type only
    try:
        authenticate_first(request)
    except Unauthenticated as refused:
        return unauthenticated(str(refused))
    violations = [Violation(_path(error.get("loc", ())), str(error.get("msg", "invalid"))) for error in exc.errors()]
    return problem_response(422, "invalid_input", "the request does not match the API's schema", errors=violations)


def _path(loc: Sequence[Any]) -> str:
    """FastAPI's ``("body", "items", 0, "name")`` as ``$.items[0].name``; parameters as ``query.limit``."""
    where, *rest = [*loc] or ["body"]
    path = "$" if where == "body" else str(where)
    for part in rest:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 406: "not_acceptable", 413: "payload_too_large",
          415: "unsupported_media_type", 422: "invalid_input"}  # fmt: skip


def _http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (unknown route, wrong method, malformed body)."""
    assert isinstance(exc, HTTPException)  # noqa: S101 - registered for this type only
    status = exc.status_code
    if status == 400:  # noqa: PLR2004 - a body FastAPI could not decode: credentials are checked first
        try:
            authenticate_first(request)
        except Unauthenticated as refused:
            return unauthenticated(str(refused))
    code = _CODES.get(status, "internal_error" if status >= 500 else "bad_request")  # noqa: PLR2004
    detail = exc.detail if isinstance(exc.detail, str) and status < 500 else HTTPStatus(status).phrase  # noqa: PLR2004
    return problem_response(status, code, detail, headers=dict(exc.headers or {}))


PageErrors = Callable[[Request, Exception], Response | None]


def install(app: FastAPI, *, pages: PageErrors | None = None) -> None:
    """Register the handlers on the app; ``pages`` answers errors of page routes (None: not a page)."""

    def handler(problem: Callable[[Request, Exception], Response]) -> Callable[[Request, Exception], Response]:
        def handle(request: Request, exc: Exception) -> Response:
            page = pages(request, exc) if pages is not None else None
            return page if page is not None else problem(request, exc)

        return handle

    app.add_exception_handler(GovpubError, handler(_govpub_error))
    app.add_exception_handler(RequestValidationError, handler(_request_validation))
    app.add_exception_handler(HTTPException, handler(_http_exception))


# Documented on every route (the app adds them when it includes a router): any route may meet these.
COMMON_STATUSES = (400, 404, 422, 503)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problems a route can answer (documented so clients and fuzzers know them)."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {status: {"description": HTTPStatus(status).phrase, "model": Problem,
                     "content": {MEDIA_TYPE: {"schema": schema}}} for status in statuses}  # fmt: skip


def dumps(value: object) -> bytes:
    """Compact UTF-8 JSON (Chinese kept as characters)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
