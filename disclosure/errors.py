"""The govpub error tree.

GovpubError
├── InvalidInput (ValueError)        a user's input broke the contract; carries every violation
│   ├── ReportCheckFailed            an annual report's 勾稽 check failed, located at its cell
│   └── ReportIncomplete             an annual report's text or figures are missing
├── NotFound (LookupError)
│   ├── DocumentNotFound
│   ├── UserNotFound
│   └── ObjectNotFound
├── RuleViolation                    an action refused by a domain rule (role, state, ...)
│   ├── TransitionNotAllowed
│   ├── NoReviewChain                no review chain is configured for a category and grade
│   └── Forbidden                    the principal may not do this
├── Unauthenticated                  no valid credentials (token, password, account)
├── AuditChainBroken                 the audit hash chain does not verify
├── ConfigurationError               settings or an agency configuration are unusable
└── ServiceUnavailable (RuntimeError) a backing service (S3, database) cannot be reached or started
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule in a user's input, located by a JSON path such as ``$.attachments[0]``."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class GovpubError(Exception):
    """Base of every error govpub raises on purpose."""


class InvalidInput(GovpubError, ValueError):
    """Input broke the contract; ``violations`` lists every broken rule, not only the first."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = sorted(set(violations), key=lambda v: (v.path, v.message))
        super().__init__("\n".join(str(v) for v in self.violations))


class NotFound(GovpubError, LookupError):
    """Something named by the user does not exist."""


class DocumentNotFound(NotFound):
    """No document has this id."""


class UserNotFound(NotFound):
    """No user has this name."""


class ObjectNotFound(NotFound):
    """No object is stored under this key."""


class RuleViolation(GovpubError):
    """A domain rule refused the action."""


class TransitionNotAllowed(RuleViolation):
    """A document or a review cannot move from its current state to the requested one."""


class NoReviewChain(RuleViolation):
    """The agency configures no review chain for a document's category and grade (nor a stricter one)."""


class AuditChainBroken(GovpubError):
    """The audit trail's hash chain does not verify; ``sequence`` names the first broken record."""

    def __init__(self, sequence: int, reason: str) -> None:
        self.sequence = sequence
        self.reason = reason
        super().__init__(f"audit event #{sequence}: {reason}")


class ConfigurationError(GovpubError):
    """Settings or an agency configuration cannot be used."""


class ServiceUnavailable(GovpubError, RuntimeError):
    """A backing service could not be reached or started."""


class AuditLogInconsistent(GovpubError):
    """The audit log disagrees with a signed checkpoint or with the rows it records; ``problems`` names each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class Unauthenticated(GovpubError):
    """No valid credentials: a missing, unknown, expired or revoked token, a wrong password, a locked
    or deactivated account. The message never says which, to a caller who is not yet known."""


class Forbidden(RuleViolation):
    """The authenticated principal may not do this (role, level, own document, operator only)."""


def first_line(exc: BaseException, limit: int = 200) -> str:
    """An exception's message in one short line (its first, at most ``limit`` characters), or its type's
    name when it has none: what a door shows of a backing service's failure."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:limit]
