"""`govpub publish schedule DOC --at DATETIME | --clear`: the release time of an approved document (定时发布).

`govpub publish` is a group whose default is `now`: `govpub publish DOC` publishes at once, as it
always did. The rule (who may, which versions, a time in the future) is the service's.
"""

from __future__ import annotations

from typing import Annotated

import typer
from typer.core import TyperGroup

from disclosure.errors import InvalidInput, Violation
from disclosure.release_time import EXAMPLE, shown
from govpub.cli_common import handled, left_for_reconciler, open_govpub, out


class _NowByDefault(TyperGroup):
    """A first word that names no subcommand is a document: `publish DOC …` is `publish now DOC …`."""

    # typer types the parameter as its vendored click's Context, which it does not export; typer.Context is
    # the context it passes
    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        """Route to `now` unless a subcommand (or help) is asked for."""
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["now", *args]
        return super().parse_args(ctx, args)


publish_app = typer.Typer(cls=_NowByDefault, no_args_is_help=True,
                          help="Publish an approved document now (`publish DOC`), or schedule it.")  # fmt: skip


@publish_app.command("schedule")
@handled
def schedule(
    document_id: Annotated[str, typer.Argument(metavar="DOC")],
    at: Annotated[
        str | None, typer.Option("--at", metavar="DATETIME", help=f"ISO 8601 with an offset, e.g. {EXAMPLE}")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="no release time: publish it now")] = False,
    as_user: Annotated[str | None, typer.Option("--as", help="development only: the disclosure office member")] = None,
) -> None:
    """Set, change or clear the release time of an approved, unpublished document; nothing of it is
    public before that moment, and a publish-document run is scheduled at it."""
    if (at is None) != clear:
        raise InvalidInput([Violation("--at", "give either --at DATETIME or --clear")])
    with open_govpub(as_user) as (govpub, principal):
        result = govpub.release_times.set(principal, document_id, at)
    if result.release_at is None:
        out.print(f"{document_id} v{result.version}: release time cleared", highlight=False)
        for doc, version, index_number in result.published:
            out.print(f"published {doc} v{version} as 索引号 {index_number}", highlight=False)
    else:
        out.print(f"{document_id} v{result.version}: embargoed until {shown(result.release_at)}", highlight=False)
        if result.flow_run_id:
            out.print(f"publish-document run {result.flow_run_id} scheduled at that time", highlight=False)
    left_for_reconciler(result.left_for_reconciler)
