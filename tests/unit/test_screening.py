"""Screening detectors: generated identifiers are found, mutated check digits and decoys are not."""

from datetime import date

from hypothesis import assume, given
from hypothesis import strategies as st

from disclosure.screening import Detector, NegativeTerm, Screener, Segment
from disclosure.screening.identifiers import PROVINCES, luhn_valid, resident_id_check_char
from disclosure.screening.terms import AhoCorasickTerms

TODAY = date(2026, 11, 23)
screener = Screener(today=TODAY, allowed_numbers=["138-0000-1111"])


def detectors(text: str, s: Screener = screener) -> list[str]:
    return [f.detector.value for f in s.screen([Segment("t.txt", text)])]


@st.composite
def resident_ids(draw):
    province = draw(st.sampled_from(sorted(PROVINCES)))
    area = f"{province:02d}{draw(st.integers(0, 9999)):04d}"
    born = draw(st.dates(date(1900, 1, 1), TODAY))
    first17 = f"{area}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return first17 + resident_id_check_char(first17)


@st.composite
def card_numbers(draw):
    body = "62" + "".join(str(draw(st.integers(0, 9))) for _ in range(draw(st.integers(13, 16))))
    for check in "0123456789":
        if luhn_valid(body + check):
            return body + check
    raise AssertionError


filler = st.sampled_from(["身份证号", "，", "附件：", "姓名 张三 ", "\n", "联系电话"])


@given(resident_ids(), filler, filler)
def test_valid_resident_ids_are_found_and_masked(number, before, after):
    found = screener.screen([Segment("t.txt", f"{before}{number}{after}")])
    assert [f.detector for f in found] == [Detector.RESIDENT_ID]
    assert found[0].masked == number[:2] + "*" * 13 + number[-3:]
    assert number not in str(found[0].as_dict())


@given(resident_ids(), st.integers(1, 10))
def test_a_wrong_check_character_does_not_fire(number, shift):
    check = "10X98765432"
    wrong = check[(check.index(number[-1]) + shift) % 11]
    mutated = number[:17] + wrong
    assert Detector.RESIDENT_ID.value not in detectors(f"证件 {mutated} 。")


@given(card_numbers(), st.booleans())
def test_luhn_valid_cards_are_found_even_grouped(number, grouped):
    text = " ".join(number[i : i + 4] for i in range(0, len(number), 4)) if grouped else number
    found = screener.screen([Segment("t.txt", f"卡号：{text}。")])
    assert [f.detector for f in found] == [Detector.BANK_CARD]
    assert found[0].masked.startswith(number[:4])
    assert found[0].masked.endswith(number[-4:])


@given(card_numbers(), st.integers(1, 9))
def test_a_mutated_card_digit_does_not_fire(number, delta):
    mutated = number[:-1] + str((int(number[-1]) + delta) % 10)
    assume(not luhn_valid(mutated))
    assert Detector.BANK_CARD.value not in detectors(f"卡号：{mutated}。")


@given(st.sampled_from("3456789"), st.integers(0, 999_999_999), st.sampled_from(["", " ", "-"]))
def test_mobile_numbers_in_any_grouping(second, rest, sep):
    digits = f"1{second}{rest:09d}"
    text = f"{digits[:3]}{sep}{digits[3:7]}{sep}{digits[7:]}"
    found = screener.screen([Segment("t.txt", f"手机{text}")])
    assert [f.detector for f in found] == [Detector.MOBILE]
    assert found[0].masked == f"{digits[:3]}****{digits[-4:]}"


def test_published_contact_numbers_are_allowed():
    assert detectors("咨询电话：13800001111") == []


def test_decoys_do_not_fire():
    text = (
        "发文字号：浙政办发〔2020〕20号 索引号：000014349/2020-00072 成文日期：2021-06-17 20210617\n"
        "金额 1,234,567.89 元，统一社会信用代码 91330000002495788J、11330000002482019C，"
        "国务院令第711号。依法不得公开国家秘密、商业秘密和个人隐私。内部事务信息。"
    )
    assert detectors(text) == []


def test_legacy_ids_and_secrecy_markings():
    found = detectors("旧身份证 110105491231002\n机密★1年\n绝密★长期\n工作秘密\n【内部】\n")
    assert found == ["resident_id_15", "secrecy_marking", "secrecy_marking", "secrecy_marking", "secrecy_marking"]


def test_the_interface_example_finds_exactly_one_id_and_one_mobile():
    text = "联系人王某，身份证号11010519491231002X，手机13912345678。\n发文字号：浙政办发〔2020〕20号。\n"
    assert sorted(detectors(text)) == ["mobile", "resident_id"]


def test_negative_terms_with_ground_and_location():
    terms = AhoCorasickTerms([NegativeTerm("信访人名单", "第十五条"), NegativeTerm("信访", "x")])
    s = Screener(today=TODAY, terms=terms)
    (found,) = s.screen([Segment("附件.xlsx", "第一行\n附：信访人名单", {"sheet": "Sheet1"})])
    assert (found.detector, found.masked, found.note) == (Detector.NEGATIVE_TERM, "信访人名单", "第十五条")
    assert found.location == {"sheet": "Sheet1", "line": 2, "column": 3, "start": 6, "end": 11}
