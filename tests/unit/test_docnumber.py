import pytest
from hypothesis import given
from hypothesis import strategies as st

from disclosure.docnumber import (
    DocumentNumber,
    DocumentNumberError,
    normalise_document_number,
    parse_document_number,
)

issuers = st.text(alphabet="浙杭国政办发函字教财第令民公安厅", min_size=1, max_size=8).filter(lambda s: "第" not in s)
brackets = st.sampled_from([("〔", "〕"), ("[", "]"), ("（", "）"), ("(", ")"), ("［", "］")])


@given(
    issuer=issuers,
    year=st.integers(1949, 2999),
    serial=st.integers(1, 999999),
    pair=brackets,
    zeros=st.integers(0, 2),
    space=st.sampled_from(["", " "]),
)
def test_any_bracket_form_normalises_to_the_canonical_form(issuer, year, serial, pair, zeros, space):
    text = f"{issuer}{space}{pair[0]}{year}{pair[1]}{space}{'0' * zeros}{serial}号"
    parsed = parse_document_number(text)
    assert parsed == DocumentNumber(issuer=issuer, year=year, serial=serial)
    canonical = normalise_document_number(text)
    assert canonical == f"{issuer}〔{year}〕{serial}号"
    assert normalise_document_number(canonical) == canonical  # idempotent


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("浙政办发〔2020〕20号", "浙政办发〔2020〕20号"),
        ("杭政办函[2020]21号", "杭政办函〔2020〕21号"),
        ("浙政办发（2020）020号", "浙政办发〔2020〕20号"),
        ("国务院令第711号", "国务院令第711号"),
    ],
)
def test_real_forms(text, canonical):
    assert normalise_document_number(text) == canonical


@pytest.mark.parametrize(
    "text",
    [
        "浙政办发〔2020]20号",
        "浙政办发〔2020〕20",
        "〔2020〕20号",
        "浙政办发〔20〕20号",
        "浙政办发〔1900〕20号",
        "浙政办发〔2020〕0号",
        "二〇二〇年第二十号",
        "",
    ],
)
def test_malformed_numbers_are_refused_with_a_reason(text):
    with pytest.raises(DocumentNumberError) as caught:
        parse_document_number(text)
    assert str(caught.value)
