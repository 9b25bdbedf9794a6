"""Who is signed in, and CSRF: the page doors' dependencies.

The session cookie (``govpub_session``: HttpOnly, Secure, SameSite=Lax, Path=/) carries a secret
that ``services.sessions`` resolves on every request. Every form carries ``csrf_token``: for a
signed-in browser the session's derived token; before sign-in a random value also set as the
``govpub_csrf`` cookie (double submit). A form without the right token is refused and audited.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from disclosure.errors import Forbidden, Unauthenticated
from services.principal import Principal, PrincipalKind
from services.sessions import check_csrf, csrf_token
from web.context import govpub_of

SESSION_COOKIE = "govpub_session"
ANON_COOKIE = "govpub_csrf"
MAX_FIELDS = 200
MAX_FILES = 50


class SignInRequired(Unauthenticated):
    """A page that needs a signed-in user was asked for without a live session."""

    def __init__(self, next_path: str) -> None:
        super().__init__("sign in to continue")
        self.next_path = next_path


class CsrfRefused(Forbidden):
    """A form arrived without its CSRF token, or with another session's."""


def optional_principal(request: Request) -> Principal | None:
    """The signed-in principal, or None; sets the page's CSRF token either way."""
    if hasattr(request.state, "web_resolved"):
        principal: Principal | None = request.state.web_principal
        return principal
    request.state.web_resolved = True
    request.state.web_principal = None
    secret = request.cookies.get(SESSION_COOKIE, "")
    if secret:
        try:
            principal = govpub_of(request).sessions.resolve(secret)
        except Unauthenticated:
            request.state.clear_session = True
        else:
            request.state.web_principal = principal
            request.state.session_secret = secret
            request.state.csrf_token = csrf_token(secret)
            return principal
    anon = request.cookies.get(ANON_COOKIE, "")
    if len(anon) < 32:  # noqa: PLR2004 - ours are 43 characters
        anon = secrets.token_urlsafe(32)
        request.state.set_anon_csrf = anon
    request.state.csrf_token = anon
    return None


def require_principal(request: Request) -> Principal:
    """The signed-in principal; without one the browser is sent to the sign-in page (and back)."""
    principal = optional_principal(request)
    if principal is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target if request.method == "GET" else "/work")
    return principal


async def csrf_form(request: Request) -> FormData:
    """The submitted form, once its CSRF token is verified (refusal audited)."""
    principal = optional_principal(request)
    # a text field may be as long as an upload (a body of 5 million characters), not Starlette's 1 MB
    limit = govpub_of(request).app.settings.api.max_upload_bytes
    form = await request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS, max_part_size=limit)
    presented = form.get("csrf_token")
    presented = presented if isinstance(presented, str) else ""
    secret = getattr(request.state, "session_secret", "")
    if secret:
        valid = check_csrf(secret, presented)
    else:
        cookie = request.cookies.get(ANON_COOKIE, "")
        valid = bool(cookie) and bool(presented) and hmac.compare_digest(cookie, presented)
    if not valid:
        actor = principal or Principal(PrincipalKind.USER, "anonymous", via="ui")
        govpub_of(request).refuse(actor, "csrf", "a form without its CSRF token", subject=request.url.path)
        raise CsrfRefused("the form has expired or did not come from this site: reload the page and try again")
    return form


def finish(request: Request, response: Response) -> Response:
    """Cookies the request's resolution asked for (a new anonymous CSRF value, an ended session)."""
    if anon := getattr(request.state, "set_anon_csrf", None):
        response.set_cookie(ANON_COOKIE, anon, httponly=True, secure=True, samesite="lax", path="/")
    if getattr(request.state, "clear_session", False):
        response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    return response


def field(form: FormData, name: str) -> str:
    """A text field of a form ("" when absent or a file)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


PagePrincipal = Annotated[Principal, Depends(require_principal)]
MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]
CsrfForm = Annotated[FormData, Depends(csrf_form)]
