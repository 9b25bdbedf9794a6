"""Administration: users and tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import CurrentPrincipal, GovpubDep
from api.problems import problem_responses
from api.schemas import NewTokenOut, TokenCreate, UserCreate
from services.identities import TokenPublic, UserPublic

router = APIRouter(prefix="/api/v1", tags=["admin"], responses=problem_responses(401, 403, 404, 409, 422, 503))
Username = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/users")
def users(principal: CurrentPrincipal, govpub: GovpubDep) -> list[UserPublic]:
    """Every user, with roles and review levels."""
    return govpub.identities.list_users(principal)


@router.post("/users", status_code=201)
def add_user(principal: CurrentPrincipal, govpub: GovpubDep, body: UserCreate) -> UserPublic:
    """Create a user (reviewers with their review levels)."""
    return govpub.identities.add_user(
        principal, username=body.username, name=body.name, roles=body.roles, levels=body.review_levels,
        department=body.department, agency=body.agency,
    )  # fmt: skip


@router.post("/users/{username}/deactivation")
def deactivate(principal: CurrentPrincipal, govpub: GovpubDep, username: Username) -> UserPublic:
    """Deactivate a user and revoke their tokens: refused on every door at once."""
    return govpub.identities.deactivate(principal, username)


@router.get("/users/{username}/tokens")
def tokens(principal: CurrentPrincipal, govpub: GovpubDep, username: Username) -> list[TokenPublic]:
    """A user's tokens (never their secrets): an admin, or the user themself."""
    return govpub.identities.list_tokens(principal, username)


@router.post("/users/{username}/tokens", status_code=201)
def create_token(principal: CurrentPrincipal, govpub: GovpubDep, username: Username, body: TokenCreate) -> NewTokenOut:
    """A new personal token; its secret is in this answer only."""
    new = govpub.identities.create_token(principal, username, expires_days=body.expires_days, name=body.name)
    return NewTokenOut(token=new.token, secret=new.secret)


@router.delete("/tokens/{token_id}")
def revoke_token(
    principal: CurrentPrincipal, govpub: GovpubDep, token_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> TokenPublic:
    """Revoke a token: an admin, or its owner."""
    return govpub.identities.revoke_token(principal, token_id)
