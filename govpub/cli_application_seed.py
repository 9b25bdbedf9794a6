"""`govpub applications seed`: a year of realistic applications registered and answered, for demos and benchmarks.

Every case goes through the same use cases as `govpub applications register|accept|reply|…`, dated
act by act, none after today. Who acts: the token's user, ``--as`` in development, or — in
development with neither — the sample agency's disclosure officer.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from disclosure.errors import InvalidInput, Violation
from govpub.cli_applications import applications_app
from govpub.cli_common import handled, open_govpub, out
from services.application_seed import sample_disclosure_officer, seeder_for


def _whole(given: dict[str, str]) -> list[int]:
    """The options' values as whole numbers, or InvalidInput naming each option that is not one (no usage box)."""
    wrong = [Violation(option, f"{value!r} is not a whole number") for option, value in given.items()
             if not value.strip().removeprefix("-").isdigit()]  # fmt: skip
    if wrong:
        raise InvalidInput(wrong)
    return [int(value) for value in given.values()]


@applications_app.command("seed")
@handled
def seed(  # noqa: PLR0917 - typer: one parameter per option
    year: Annotated[str, typer.Option("--year", metavar="YEAR", help="the year received (up to this year)")],
    count: Annotated[str, typer.Option("--count", metavar="N", help="how many applications (1-10000)")],
    agency: Annotated[str | None, typer.Option("--agency", help="the agency's code (default: yours)")] = None,
    seed_value: Annotated[str, typer.Option("--seed", metavar="S", help="random seed (same seed: same plan)")] = "1",
    as_user: Annotated[str | None, typer.Option("--as", help="development only: act as this user")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Register and answer a year of applications: every applicant type and outcome, some carried over."""
    year_n, count_n, seed_n = _whole({"--year": year, "--count": count, "--seed": seed_value})
    with open_govpub(as_user, implied_user=sample_disclosure_officer()) as (govpub, principal):
        summary = seeder_for(govpub).seed(principal, year=year_n, count=count_n, seed=seed_n, agency=agency)
    if as_json:
        sys.stdout.write(summary.model_dump_json(indent=2) + "\n")
        return
    out.print(summary.line(), markup=False, highlight=False, soft_wrap=True)
