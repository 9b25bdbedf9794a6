"""The outermost layer of the app: the request id on every response, and the catch-all.

Pure ASGI (no per-request task, no body buffering): the feed endpoints must stay cheap. An
exception nothing else handled is logged with the request id and answered with a bare 500 problem:
no stack trace or message reaches the client.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import MEDIA_TYPE, internal_error
from api.requestid import accepted_id, current

logger = logging.getLogger("api.access")


class RequestIdMiddleware:
    """Accept or make the request id, expose it to handlers and logs, add it to the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request under its id."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), None)
        request_id = accepted_id(incoming)
        scope.setdefault("state", {})["request_id"] = request_id
        token = current.set(request_id)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode("ascii")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:  # the catch-all: logged with the request id, answered 500, never re-raised to the client
            logger.exception("unhandled error in %s %s", scope["method"], scope["path"])
            if status == 0:
                status = 500
                body = internal_error()
                await send_with_id({"type": "http.response.start", "status": 500, "headers": [
                    (b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]})  # fmt: skip
                await send({"type": "http.response.body", "body": body})
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            logger.debug("%s %s %s %.1f ms", scope["method"], scope["path"], status, elapsed)
            current.reset(token)
