"""`govpub applications transfer-proactive`: 依申请公开转主动公开 (Regulation Art. 44) as one command.

The document's new version, attribute 主动公开, goes to screening and review like any submission;
nothing is published by this command. Who acts: the token's user, or ``--as`` in development.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from govpub.cli_applications import applications_app
from govpub.cli_common import handled, open_govpub, out
from services.application_transfer import TransferReason


class Reason(StrEnum):
    """Why the information becomes proactive (Art. 44)."""

    SEVERAL_APPLICANTS = "several-applicants"  # disclosed in replies to several applicants
    SUGGESTION = "suggestion"  # an applicant's suggestion, found valid (--note says what it was)


_REASONS = {Reason.SEVERAL_APPLICANTS: TransferReason.SEVERAL_APPLICANTS, Reason.SUGGESTION: TransferReason.SUGGESTION}


@applications_app.command("transfer-proactive")
@handled
def transfer_proactive(  # noqa: PLR0917 - typer: one parameter per option
    document_id: Annotated[str, typer.Argument(metavar="DOCUMENT_ID", help="the 依申请公开 document")],
    reason: Annotated[Reason, typer.Option(help="several-applicants or suggestion")],
    application: Annotated[
        list[int], typer.Option("--application", metavar="ID", help="an application that shows it (repeat)")
    ],
    note: Annotated[str, typer.Option(help="suggestion: what the applicant suggested and why it is valid")] = "",
    as_user: Annotated[str | None, typer.Option("--as", help="development only: act as this user")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Send a document disclosed on application into review as 主动公开 (Art. 44); prints the new version last."""
    with open_govpub(as_user) as (govpub, principal):
        done = govpub.applications.transfer_to_proactive(principal, document_id, reason=_REASONS[reason],
                                                         applications=application, note=note)  # fmt: skip
    if as_json:
        sys.stdout.write(done.model_dump_json(indent=2) + "\n")
        return
    cited = ", ".join(str(i) for i in done.applications)
    out.print(f"{done.document_id} version {done.version}: {done.state} for review as 主动公开 "
              f"(Art. 44, {done.reason}; applications {cited})", markup=False, highlight=False)  # fmt: skip
    out.print(str(done.version), highlight=False)
