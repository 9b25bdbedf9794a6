"""Unknown query parameters are refused, never ignored (as unknown body fields are: api/schemas.py).

A misspelt filter (``?stat=open``) silently ignored answers the unfiltered list as if it were the
filtered one; refused, it names the parameter (422, ``query.<name>``).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from disclosure.errors import InvalidInput, Violation


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameters an operation declares, its dependencies' included; a parameter model
    (``Annotated[Model, Query()]``) declares its fields."""
    names: set[str] = set()
    for field in dependant.query_params:
        model = field.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            names |= {info.alias or name for name, info in model.model_fields.items()}
        else:
            names.add(field.alias)
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


_KNOWN: dict[int, frozenset[str]] = {}  # per route (routes live as long as the app)


def _known(route: APIRoute) -> frozenset[str]:
    known = _KNOWN.get(id(route))
    if known is None:
        known = _KNOWN[id(route)] = frozenset(_query_names(route.dependant))
    return known


def no_unknown_query(request: Request) -> None:
    """A router dependency: 422 naming every query parameter the operation does not declare."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    unknown = sorted(set(request.query_params) - _known(route))
    if unknown:
        raise InvalidInput([Violation(f"query.{name}", "unknown query parameter") for name in unknown])
