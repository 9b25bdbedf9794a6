"""`govpub applications transfer-proactive` (依申请公开转主动公开, Art. 44) and `redacted-copy` (Art. 37).

The document's new version, attribute 主动公开, goes to screening and review like any submission;
nothing is published by this command. Who acts: the token's user, or ``--as`` in development.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from disclosure.application_replies import WithholdingGround
from disclosure.errors import InvalidInput, Violation
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


@applications_app.command("redacted-copy")
@handled
def redacted_copy(  # noqa: PLR0917 - typer: one parameter per option
    application_id: Annotated[int, typer.Argument(metavar="ID", help="the application, in process")],
    source: Annotated[str, typer.Option("--from", metavar="DOCUMENT_ID", help="the reviewed document copied")],
    body: Annotated[Path, typer.Option("--body", help="the body with the withheld parts taken out (UTF-8)")],
    ground: Annotated[WithholdingGround, typer.Option(help="why the parts are withheld (Art. 14-16)")],
    law_name: Annotated[str, typer.Option(help="other_law: the law relied on")] = "",
    html: Annotated[bool, typer.Option("--html", help="the body is HTML (default: plain text)")] = False,
    as_user: Annotated[str | None, typer.Option("--as", help="development only: act as this user")] = None,
) -> None:
    """Submit the redacted copy of Art. 37 for review (依申请公开: never public); prints its document id last.
    Once its review approved it, `applications reply ID --kind partly_disclosed --published-item DOC`."""
    try:
        text = body.read_text("utf-8")
    except OSError as exc:
        raise InvalidInput([Violation("--body", f"{body}: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise InvalidInput([Violation("--body", f"{body} is not UTF-8 text")]) from None
    with open_govpub(as_user) as (govpub, principal):
        made = govpub.redacted_copies(principal, application_id, source=source, body=text, ground=ground,
                                      law_name=law_name, body_format="html" if html else "text")  # fmt: skip
    out.print(f"redacted copy of {made.source} submitted for review as version {made.version}", markup=False,
              highlight=False)  # fmt: skip
    out.print(made.document_id, highlight=False)
