"""Downstream channels: registration (admins), delivery state (admins, the office, the channel itself)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from api.deps import CurrentPrincipal, GovpubDep
from api.problems import problem_responses
from api.schemas import ChannelBody, ChannelOut, ChannelRegistered, DeliveryOut

router = APIRouter(prefix="/api/v1", tags=["channels"], responses=problem_responses(401, 403, 404, 422, 503))
ChannelName = Annotated[str, Path(min_length=1, max_length=120)]


@router.get("/channels")
def channels(principal: CurrentPrincipal, govpub: GovpubDep) -> list[ChannelOut]:
    """Every channel with its entries and delivery state."""
    return [ChannelOut.model_validate(c) for c in govpub.channels(principal)]


@router.put("/channels/{name}")
def register_channel(
    principal: CurrentPrincipal, govpub: GovpubDep, name: ChannelName, body: ChannelBody
) -> ChannelRegistered:
    """Register or update a downstream channel; a generated webhook secret is in this answer only."""
    secret = govpub.register_channel(principal, name=name, title=body.title, webhook=body.webhook, secret=body.secret,
                                     categories=body.categories, agencies=body.agencies)  # fmt: skip
    return ChannelRegistered(name=name, secret=secret)


@router.delete("/channels/{name}", status_code=204, response_class=Response)
def remove_channel(principal: CurrentPrincipal, govpub: GovpubDep, name: ChannelName) -> None:
    """Stop feeding a channel (its pages and delivery log stay)."""
    govpub.remove_channel(principal, name)


@router.get("/channels/{name}/deliveries")
def deliveries(
    principal: CurrentPrincipal, govpub: GovpubDep, name: ChannelName,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryOut]:  # fmt: skip
    """A channel's deliveries, newest first: a channel account sees only its own."""
    return [DeliveryOut.model_validate(d) for d in govpub.channel_deliveries(principal, name, limit=limit)]
