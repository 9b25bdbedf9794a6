"""What routes depend on: the application layer, and the acting principal from a bearer token."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from disclosure.errors import Unauthenticated
from services.facade import Govpub
from services.principal import Principal

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="a personal API token (`govpub users token create USER`), sent as `Authorization: Bearer gp_…`",
)


def the_govpub(request: Request) -> Govpub:
    """The application layer the app was created with."""
    govpub: Govpub = request.app.state.govpub
    return govpub


async def get_govpub(request: Request) -> Govpub:
    """The same, as a dependency that needs no worker thread (it does no I/O)."""
    return the_govpub(request)


GovpubDep = Annotated[Govpub, Depends(get_govpub)]


def current_principal(
    request: Request,
    govpub: GovpubDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The principal of the request's bearer token (resolved once per request; roles read fresh).

    No token, or an unknown, expired or revoked one, or a deactivated user: Unauthenticated (401).
    """
    if credentials is None or not credentials.credentials:
        raise Unauthenticated("a bearer token is required")
    principal = govpub.identities.authenticate_token(credentials.credentials, via="api")
    request.state.principal = principal
    return principal


def authenticate_first(request: Request) -> None:
    """For a request refused before its dependencies ran (a body FastAPI could not parse): a route
    that needs a principal answers 401 to a caller without valid credentials, whatever the body."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or getattr(request.state, "principal", None) is not None or not _needs(dependant):
        return
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated("a bearer token is required")
    request.state.principal = the_govpub(request).identities.authenticate_token(secret.strip(), via="api")


def _needs(dependant: Any) -> bool:  # noqa: ANN401 - fastapi.dependencies.models.Dependant
    return any(d.call is current_principal or _needs(d) for d in dependant.dependencies)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
