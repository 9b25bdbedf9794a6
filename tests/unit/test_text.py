"""What text may carry: XML 1.0 characters, one-line fields, file names; enforced at intake."""

import copy
import json
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from disclosure.errors import InvalidInput
from disclosure.submission import build_submission
from disclosure.text import file_name_problem, line_problem, name_key, xml_problem
from govpub.samples import load_samples
from schemas import load_json

TODAY = date(2026, 11, 23)

UNSAFE_NAMES = [
    "CON", "con", "NUL.txt", "COM1.pdf", "aux", "LPT9.doc", "CON .txt", "report.", "report ", " report.pdf",
    "invoice\u202etxt.exe", "a\u2066b.pdf", "del\x7f.txt", "nel\x85.txt", "   ", "c:evil.txt", "a|b.pdf",
    "what?.pdf", "star*.pdf", 'quote".pdf', "<x>.pdf", ".", "..", ".hidden", "tab\t.pdf", "line\u2028.pdf",
    "e\u0301.pdf", "长" * 90 + ".pdf",
]  # fmt: skip
SAFE_NAMES = ["原文.txt", "附件1：申请表.docx", "report-2026_v2.pdf", "CONTENTS.pdf", "console.log", "NULL.doc",
              "é.pdf", "a b.pdf", "COM10.pdf"]  # fmt: skip


@pytest.mark.parametrize("name", UNSAFE_NAMES)
def test_unsafe_file_names_are_refused(name):
    assert file_name_problem(name) is not None


@pytest.mark.parametrize("name", SAFE_NAMES)
def test_ordinary_file_names_pass(name):
    assert file_name_problem(name) is None


def test_names_that_collide_on_a_case_insensitive_disk_share_a_key():
    assert name_key("Report.PDF") == name_key("report.pdf")
    assert name_key("ｒｅｐｏｒｔ.pdf") == name_key("report.pdf")  # full-width forms
    assert name_key("原文.txt") != name_key("原文.pdf")


@given(st.text())
def test_what_xml_problem_accepts_lxml_can_carry(text):
    element = etree.Element("t")
    if xml_problem(text) is None:
        element.text = text  # raises ValueError for anything XML 1.0 cannot carry
        assert etree.fromstring(etree.tostring(element)).text in (text, None)
    else:
        with pytest.raises(ValueError, match="XML"):
            element.text = text


@given(st.text())
def test_a_line_is_stricter_than_xml(text):
    if line_problem(text) is None:
        assert xml_problem(text) is None
        assert "\n" not in text
        assert "\u202e" not in text


def _sample(**changes):
    data = copy.deepcopy(load_samples()[2].submission)
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", "正常\u202e标题"), ("title", "标题\n第二行"), ("issuing_agency", "机关\u0085"), ("category", "综合\u2067政务"),
     ("summary", "摘要\u202d"), ("drafter", "drafter\u200f")],
)  # fmt: skip
def test_intake_rules_name_the_field_that_carries_a_forbidden_character(field, value):
    with pytest.raises(InvalidInput) as caught:
        build_submission(_sample(**{field: value}), today=TODAY)
    assert [v.path for v in caught.value.violations] == [f"$.{field}"]
    assert "U+" in str(caught.value)


def test_attachment_names_are_checked_and_unique_ignoring_case():
    data = _sample()
    spec = data["attachments"][0]
    data["attachments"] = [{**spec, "file_name": "Report.pdf"}, {**spec, "file_name": "report.PDF"},
                           {**spec, "file_name": "COM1.pdf"}]  # fmt: skip
    with pytest.raises(InvalidInput) as caught:
        build_submission(data, today=TODAY)
    paths = [v.path for v in caught.value.violations]
    assert paths == ["$.attachments[1].file_name", "$.attachments[2].file_name"]


@pytest.mark.parametrize(
    "raw",
    [
        json.dumps({"title": "正常\u202e标题\u0007\u0000"}).encode(),
        json.dumps({"body": "x\ufffey"}).encode(),
        json.dumps({"attachments": [{"file_name": "a\u0001.txt"}]}).encode(),
        b'{"k\\u0002": 1}',
    ],
)
def test_loading_refuses_characters_xml_cannot_carry_naming_where(raw):
    with pytest.raises(InvalidInput) as caught:
        load_json(raw)
    assert all(v.path.startswith("$.") or v.path.startswith("$ (") for v in caught.value.violations)
    assert "XML 1.0" in str(caught.value)


@pytest.mark.parametrize("depth", [65, 1000, 100_000])
def test_deep_nesting_is_invalid_input_not_a_crash(depth):
    with pytest.raises(InvalidInput, match="nested more than 64 levels"):
        load_json(b"[" * depth + b"]" * depth)
    with pytest.raises(InvalidInput, match="nested"):
        load_json(b'{"a":' * depth + b"1" + b"}" * depth)


def test_ordinary_nesting_and_text_load():
    assert load_json(b"[" * 10 + b"]" * 10) == [[[[[[[[[[]]]]]]]]]]
    assert load_json(json.dumps({"body": "第一行\n\t第二行\r\n"}).encode())["body"].startswith("第一行")
