"""Who acts: an authenticated user (with roles and review levels, read fresh from the database), the
local operator at the server's shell, or the system itself (flows, the reconciler)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from disclosure.attributes import Role


class PrincipalKind(StrEnum):
    """Kinds of principal."""

    USER = "user"  # a person (or a channel account) with credentials
    OPERATOR = "operator"  # the person at the server's shell: administration, never a person's act
    SYSTEM = "system"  # govpub itself: flows, the reconciler, re-driven steps


@dataclass(frozen=True, slots=True)
class Principal:
    """The acting principal, resolved once per request or command and passed to every use case."""

    kind: PrincipalKind
    username: str
    user_id: int | None = None
    agency_id: int | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)
    levels: frozenset[str] = field(default_factory=frozenset)  # review levels held
    via: str = "cli"  # the door: cli, api, ui (pages / Prefect UI), flow
    token_id: int | None = None  # the API token that authenticated it, if any

    def has(self, role: Role) -> bool:
        """Whether the principal holds the role."""
        return role in self.roles

    @property
    def is_person(self) -> bool:
        """A user with credentials (not the operator or the system)."""
        return self.kind is PrincipalKind.USER


def operator(via: str = "cli") -> Principal:
    """The local operator (the server's shell, no credentials needed for administration)."""
    return Principal(kind=PrincipalKind.OPERATOR, username="operator", via=via)


def system(via: str = "flow") -> Principal:
    """govpub itself."""
    return Principal(kind=PrincipalKind.SYSTEM, username="system", via=via)
