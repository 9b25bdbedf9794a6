"""``POST /websub``: the built-in WebSub hub's subscription endpoint (public; verification proves intent).

A valid request is answered 202 at once and verified afterwards (a GET to the callback that must
echo ``hub.challenge``); an invalid one 400 with RFC 9457 problem details naming each field.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request, Response

from disclosure.errors import InvalidInput, Violation
from services.websub import WebSubHub, build_hub

router = APIRouter(tags=["websub"])
PROBLEM = "application/problem+json"
_PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["path", "message"],
                "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}


def get_hub(request: Request) -> WebSubHub:
    """The hub the app was created with (``app.state.websub_hub``), else one built from its application layer."""
    state = request.app.state
    hub: WebSubHub | None = getattr(state, "websub_hub", None)
    if hub is None:
        core = state.govpub.app
        hub = build_hub(core.settings, engine=core.engine, store=core.store)
        state.websub_hub = hub
    return hub


def _problem(request: Request, status: int, code: str, detail: str, errors: list[Violation]) -> Response:
    body = {
        "type": f"https://govpub.example/problems/{code}", "title": HTTPStatus(status).phrase, "status": status,
        "detail": detail, "code": code, "request_id": request.headers.get("x-request-id", ""),
        "errors": [{"path": v.path, "message": v.message} for v in errors],
    }  # fmt: skip
    return Response(json.dumps(body, ensure_ascii=False), status_code=status, media_type=PROBLEM)


@router.post(
    "/websub",
    status_code=202,
    response_class=Response,
    summary="Subscribe to or unsubscribe from a feed (W3C WebSub)",
    responses={
        202: {"description": "accepted; the hub verifies the intent with a GET to hub.callback"},
        400: {"description": "the request breaks a rule", "content": {PROBLEM: {"schema": _PROBLEM_SCHEMA}}},
        404: {"description": "the built-in hub is off", "content": {PROBLEM: {"schema": _PROBLEM_SCHEMA}}},
    },
)
def websub(
    *,
    request: Request,
    background: BackgroundTasks,
    hub: Annotated[WebSubHub, Depends(get_hub)],
    mode: Annotated[str, Form(alias="hub.mode", description="subscribe or unsubscribe")] = "",
    topic: Annotated[str, Form(alias="hub.topic", description="a feed head page URL")] = "",
    callback: Annotated[str, Form(alias="hub.callback", description="the subscriber's http(s) URL")] = "",
    lease_seconds: Annotated[str, Form(alias="hub.lease_seconds", description="lease asked for")] = "",
    secret: Annotated[str, Form(alias="hub.secret", description="HMAC key for X-Hub-Signature")] = "",
) -> Response:
    """Check the request now; verify it with the callback after answering."""
    if not hub.hub_url:
        return _problem(request, 404, "not_found", "the built-in WebSub hub is off", [])
    form = {"hub.mode": mode, "hub.topic": topic, "hub.callback": callback,
            "hub.lease_seconds": lease_seconds, "hub.secret": secret}  # fmt: skip
    try:
        intent = hub.request(form)
    except InvalidInput as exc:
        return _problem(request, 400, "invalid_input", "the subscription request breaks the rules", exc.violations)
    background.add_task(hub.verify, intent)
    return Response(status_code=202)
