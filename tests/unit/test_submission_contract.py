"""The submission contract: schema + rules report every violation, by JSON path, briefly."""

import copy
import json
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from disclosure.attributes import DisclosureAttribute
from disclosure.errors import InvalidInput
from disclosure.submission import build_submission
from govpub.samples import load_samples
from schemas import DOCUMENT_SUBMISSION, load_json, schema
from services.intake import parse_submission

TODAY = date(2026, 11, 23)


def valid() -> dict:
    return copy.deepcopy(load_samples()[1].submission)


def violations_of(data: dict | bytes) -> dict[str, str]:
    raw = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    with pytest.raises(InvalidInput) as caught:
        parse_submission(raw, actor=None, today=TODAY)
    return {v.path: v.message for v in caught.value.violations}


def test_every_missing_field_is_reported_at_once():
    found = violations_of({"body": "正文"})
    assert set(found) == {f"$.{k}" for k in schema(DOCUMENT_SUBMISSION)["required"] if k != "body"}
    assert all(m == "is required" for m in found.values())


def test_withheld_needs_a_ground_and_a_reason():
    data = valid()
    data["disclosure"] = {"attribute": "withheld"}
    found = violations_of(data)
    assert found == {"$.disclosure.ground": 'is required when attribute is "withheld"',
                     "$.disclosure.reason": 'is required when attribute is "withheld"'}  # fmt: skip


def test_withheld_under_a_named_law_needs_its_name():
    data = valid()
    data["disclosure"] = {"attribute": "withheld", "ground": {"article": "law"}, "reason": "涉密"}
    assert "$.disclosure.ground.law_name" in violations_of(data)


def test_on_application_needs_a_reason():
    data = valid()
    data["disclosure"] = {"attribute": "on_application"}
    assert set(violations_of(data)) == {"$.disclosure.reason"}


def test_proactive_cannot_cite_a_withholding_ground():
    data = valid()
    data["disclosure"] = {"attribute": "proactive", "ground": {"article": "art14"}}
    assert set(violations_of(data)) == {"$.disclosure.ground"}


def test_bad_document_number_names_the_field():
    data = valid()
    data["doc_number"] = "浙政办发〔2020]20号"
    found = violations_of(data)
    assert set(found) == {"$.doc_number"}
    assert "brackets" in found["$.doc_number"]


def test_document_number_is_normalised():
    data = valid()
    data["doc_number"] = "杭政办函[2020]021号"
    raw = json.dumps(data, ensure_ascii=False).encode()
    assert parse_submission(raw, actor=None, today=TODAY).doc_number == "杭政办函〔2020〕21号"


def test_ten_megabyte_title_gives_a_short_message():
    data = valid()
    data["title"] = "标" * 10_000_000
    found = violations_of(data)
    assert set(found) == {"$.title"}
    assert len(found["$.title"]) < 100
    assert "10000000 characters" in found["$.title"]


def test_non_utf8_body_is_named():
    data = valid()
    data["body"] = "PLACEHOLDER"
    raw = json.dumps(data, ensure_ascii=False).encode().replace(b"PLACEHOLDER", b"\xb0\xec\xb9\xab")
    assert violations_of(raw) == {"$.body": "is not valid UTF-8 text"}


def test_lone_surrogate_escape_is_not_text():
    raw = json.dumps(valid(), ensure_ascii=False).encode()
    raw = raw.replace(b'"summary": "', b'"summary": "\\ud800', 1)
    assert violations_of(raw) == {"$.summary": "is not valid UTF-8 text"}


def test_broken_json_and_repeated_keys():
    assert "not valid JSON" in violations_of(b'{"title": ')["$"]
    assert "appears more than once" in violations_of(b'{"title": "a", "title": "b"}')["$"]


def test_future_written_date_and_impossible_date():
    data = valid()
    data["written_on"] = "2027-01-05"
    assert "future" in violations_of(data)["$.written_on"]
    data["written_on"] = "2026-02-30"
    assert "valid date" in violations_of(data)["$.written_on"]


def test_actor_fills_in_or_must_match_the_drafter():
    data = valid()
    del data["drafter"]
    raw = json.dumps(data, ensure_ascii=False).encode()
    assert parse_submission(raw, actor="drafter2", today=TODAY).drafter == "drafter2"
    data["drafter"] = "drafter"
    with pytest.raises(InvalidInput, match=r"\$\.drafter"):
        parse_submission(json.dumps(data).encode(), actor="drafter2", today=TODAY)


def test_content_hash_changes_with_any_field_and_not_otherwise():
    base = build_submission(valid(), today=TODAY)
    assert build_submission(valid(), today=TODAY).content_sha256() == base.content_sha256()
    for field, value in [("title", "另一个标题"), ("summary", "改"), ("body", "改正文")]:
        data = valid()
        data[field] = value
        assert build_submission(data, today=TODAY).content_sha256() != base.content_sha256()


def _enum(*path: str) -> list:
    node = schema(DOCUMENT_SUBMISSION)
    for key in path:
        node = node[key]
    return node["enum"]


_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=40)
_line = _text.filter(lambda s: s.strip() != "")
_grounds = st.fixed_dictionaries(
    {"article": st.sampled_from(_enum("$defs", "ground", "properties", "article"))},
    optional={"law_name": _line},
)
_disclosure = st.fixed_dictionaries(
    {"attribute": st.sampled_from(_enum("$defs", "disclosure", "properties", "attribute"))},
    optional={
        "ground": _grounds,
        "reason": _line,
        "reassess_on": st.dates(date(2000, 1, 1), date(2035, 12, 31)).map(str),
    },
)
submissions = st.fixed_dictionaries(
    {
        "title": _line, "issuing_agency": _line, "category": _line, "summary": _text,
        "written_on": st.dates(date(1990, 1, 1), date(2030, 12, 31)).map(str),
        "kind": st.sampled_from(_enum("properties", "kind")),
        "disclosure": _disclosure,
        "interpretation_required": st.booleans(),
        "public_scope": st.sampled_from(_enum("properties", "public_scope")),
        "body": _text, "drafter": st.from_regex(r"[a-z][a-z0-9_.-]{0,20}", fullmatch=True),
    },
    optional={
        "doc_number": st.one_of(st.none(), _line, st.builds(
            "{}〔{}〕{}号".format, st.sampled_from(["浙政办发", "国办函"]), st.integers(1949, 2999),
            st.integers(1, 999))),
        "co_issuers": st.lists(_line, max_size=3, unique=True),
        "body_format": st.sampled_from(["text", "html"]),
    },
)  # fmt: skip


@given(submissions)
def test_generated_submissions_are_accepted_or_every_violation_is_named(instance):
    """Schema and rules together never crash: a submission builds or fails with paths."""
    raw = json.dumps(instance, ensure_ascii=False).encode()
    try:
        submission = parse_submission(raw, actor=None, today=TODAY)
    except InvalidInput as exc:
        assert exc.violations
        assert all(v.path.startswith("$.") for v in exc.violations)
        attribute = instance["disclosure"]["attribute"]
        needs = {"withheld": {"ground", "reason"}, "on_application": {"reason"}}.get(attribute, set())
        missing = needs - set(instance["disclosure"])
        paths = {v.path for v in exc.violations}
        assert {f"$.disclosure.{m}" for m in missing} <= paths
    else:
        assert submission.disclosure.attribute in set(DisclosureAttribute)
        assert submission.title == instance["title"]
        assert submission.body.encode() == instance["body"].encode()
        assert len(submission.content_sha256()) == 64


def test_samples_are_valid_and_keep_their_text_byte_exact():
    from govpub.samples import corpus_dir

    samples = load_samples()
    assert len(samples) == 5
    for sample in samples:
        raw = json.dumps(sample.submission, ensure_ascii=False).encode()
        submission = parse_submission(raw, actor=None, today=TODAY)
        original = (corpus_dir() / f"{sample.name}.txt").read_bytes()
        assert submission.body.encode("utf-8") == original
    assert any("政務(wù)" in s.submission["body"] for s in samples)


def test_load_json_strips_a_byte_order_mark():
    assert load_json(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}
