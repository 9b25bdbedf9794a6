"""Load the bundled schemas, parse JSON input strictly and turn every violation into a message.

Messages never echo the offending value in full (a 10 MB title must not come back as a 10 MB
error); they name the JSON path and the rule.
"""

from __future__ import annotations

import json
import re
import sys
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry, Resource

from disclosure.errors import InvalidInput, Violation
from disclosure.text import xml_problem

DOCUMENT_SUBMISSION = "document-submission"
INTERPRETATION = "interpretation"
AGENCY_CONFIG = "agency-config"
REVIEW_CHAINS = "review-chains"
CALENDAR_OVERRIDE = "calendar-override"
APPLICATION = "application"
_NAMES = (DOCUMENT_SUBMISSION, INTERPRETATION, AGENCY_CONFIG, REVIEW_CHAINS, CALENDAR_OVERRIDE, APPLICATION)
MAX_DEPTH = 64  # no contract nests deeper than a few levels; deeper input is refused, not parsed further
_REQUIRED = re.compile(r"^'(?P<name>.+)' is a required property$")
_TYPE_WORDS = {
    "string": "a string",
    "array": "a list",
    "object": "an object",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


@cache
def _text(name: str) -> str:
    if name not in _NAMES:
        raise KeyError(name)
    return resources.files(__package__).joinpath(f"{name}.schema.json").read_text("utf-8")


def schema(name: str) -> dict[str, Any]:
    """A fresh copy of the parsed schema ``<name>.schema.json`` bundled in this package."""
    loaded: dict[str, Any] = json.loads(_text(name))
    return loaded


@cache
def _validator(name: str) -> Draft202012Validator:
    registry: Registry[Any] = Registry().with_resources(
        (schema(n)["$id"], Resource.from_contents(schema(n))) for n in _NAMES
    )
    return Draft202012Validator(schema(name), registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def validate(name: str, instance: object) -> None:
    """Raise InvalidInput listing every violation of schema ``name``; return if valid."""
    violations: list[Violation] = []
    for error in _validator(name).iter_errors(instance):
        violations.extend(_describe(error))
    if violations:
        raise InvalidInput(violations)


def load_json(raw: bytes, *, source: str = "$") -> Any:  # noqa: ANN401 - any JSON value
    """Parse JSON bytes strictly; raise InvalidInput naming bad UTF-8, syntax or repeated keys.

    Bytes that are not UTF-8 are reported at the JSON path of the string that holds them.
    """
    text = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="surrogateescape")
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in items:
            if key in seen:
                duplicates.append(key)
            seen[key] = value
        return seen

    try:
        value = json.loads(text, object_pairs_hook=pairs, parse_constant=_not_a_number)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            [Violation(source, f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")]
        ) from None
    except ValueError as exc:  # a number of more digits than Python converts (CVE-2020-10735), NaN or Infinity
        raise InvalidInput([Violation(source, f"not valid JSON: {_number_problem(exc)}")]) from None
    except RecursionError:
        raise InvalidInput([Violation(source, f"is nested more than {MAX_DEPTH} levels deep")]) from None
    violations = [Violation(source, f"the key {key!r} appears more than once") for key in duplicates]
    violations.extend(_bad_text(value, "$"))
    if violations:
        raise InvalidInput(violations)
    return value


class _NotANumber(ValueError):
    """NaN, Infinity or -Infinity: Python's json reads them, JSON (RFC 8259) has no such numbers."""


def _not_a_number(name: str) -> float:
    raise _NotANumber(f"{name} is not a JSON number")


def _number_problem(exc: ValueError) -> str:
    if isinstance(exc, _NotANumber):
        return str(exc)
    return f"a number has more than {sys.get_int_max_str_digits()} digits"


def _bad_text(value: object, root: str) -> list[Violation]:
    """Strings (keys or values) that are not UTF-8 or hold characters XML 1.0 cannot carry, and
    nesting beyond MAX_DEPTH; walked without recursion."""
    found: list[Violation] = []
    stack: list[tuple[object, str, int]] = [(value, root, 1)]
    while stack:
        item, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            found.append(Violation(root, f"is nested more than {MAX_DEPTH} levels deep"))
            break
        if isinstance(item, str):
            if (problem := _string_problem(item)) is not None:
                found.append(Violation(path, problem))
        elif isinstance(item, dict):
            for key, child in item.items():
                if (problem := _string_problem(key)) is not None:
                    found.append(Violation(f"{path} (a key)", problem))
                stack.append((child, _child(path, key), depth + 1))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{index}]", depth + 1) for index, child in enumerate(item))
    return found


def _string_problem(text: str) -> str | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid UTF-8 text"
    return xml_problem(text)


def _describe(error: ValidationError) -> list[Violation]:  # noqa: C901, PLR0911 - one case per keyword
    path = error.json_path
    keyword = error.validator
    rule: Any = error.validator_value
    subschema: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    hint = subschema.get("description")
    if keyword == "required":
        match = _REQUIRED.match(error.message)
        name = match["name"] if match else "?"
        return [Violation(_child(path, name), "is required" + _condition(error))]
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        known = set(subschema.get("properties", {}))
        return [
            Violation(_child(path, key), "is not a field of this form") for key in error.instance if key not in known
        ]
    if keyword == "type":
        types = rule if isinstance(rule, list) else [rule]
        return [Violation(path, "must be " + " or ".join(_TYPE_WORDS.get(str(t), str(t)) for t in types))]
    if keyword == "minLength":
        text = "must not be empty" if rule == 1 else f"must have at least {rule} characters"
        return [Violation(path, text)]
    if keyword == "maxLength":
        length = len(error.instance) if isinstance(error.instance, str) else "?"
        return [Violation(path, f"is too long: {length} characters, at most {rule} allowed")]
    if keyword == "pattern":
        if rule == "\\S":
            return [Violation(path, "must not be blank")]
        return [Violation(path, "does not have the expected form" + (f" ({hint})" if hint else ""))]
    if keyword == "format":
        example = " (YYYY-MM-DD, a real calendar date)" if rule == "date" else ""
        return [Violation(path, f"is not a valid {rule}{example}")]
    if keyword in {"enum", "const"}:
        allowed = rule if keyword == "enum" else [rule]
        return [
            Violation(
                path,
                "must be one of: " + ", ".join(json.dumps(a, ensure_ascii=False) for a in allowed),
            )
        ]
    if keyword in {"minimum", "maximum"}:
        word = "at least" if keyword == "minimum" else "at most"
        return [Violation(path, f"must be {word} {rule}")]
    if keyword in {"minItems", "maxItems"}:
        word = "at least" if keyword == "minItems" else "at most"
        return [Violation(path, f"must have {word} {rule} item(s)")]
    if keyword == "uniqueItems":
        return [Violation(path, "must not repeat an item")]
    message = error.message if len(error.message) <= 200 else error.message[:200] + "…"  # noqa: PLR2004
    return [Violation(path, message)]


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if key.isidentifier() else f"{path}[{json.dumps(key)}]"


def _condition(error: ValidationError) -> str:
    """Explain a requirement that comes from an if/then branch."""
    if "then" not in error.schema_path or not isinstance(error.instance, dict):
        return ""
    for field in ("attribute", "article"):
        if field in error.instance:
            return f" when {field} is {json.dumps(error.instance[field])}"
    return " for this kind of entry"
