"""Tests of pipeline.text.dates: Vietnamese date lines, ISO and RFC 822 values, plausibility."""

from __future__ import annotations

import doctest
import random
import unicodedata
from datetime import UTC, date, datetime, timedelta

import pytest

import pipeline.text.dates as dates_module
from pipeline.text.dates import (
    VN_TZ,
    ParsedDate,
    check_plausible,
    find_dates,
    parse_date_text,
    parse_iso_datetime,
    parse_rfc822,
)

# A fixed "now": Friday 15 March 2024, 10:00 in Hanoi.
NOW = datetime(2024, 3, 15, 10, 0, tzinfo=VN_TZ)


def only(text: str, now: datetime | None = None) -> ParsedDate:
    """The single date of a line (the test fails if there is not exactly one)."""
    found = find_dates(text, now=now)
    assert len(found) == 1, found
    return found[0]


# ------------------------------------------------------------------------- the shapes -------

SHAPES = [
    # text, ISO value, has_time, kind, weekday checked
    ("THỨ BA, 06/08/2019 19:05:01", "2019-08-06T19:05:01+07:00", True, None, True),
    ("Thứ hai, 11/3/2024 - 08:15", "2024-03-11T08:15:00+07:00", True, None, True),
    ("12/03/2024 08:15 GMT+7", "2024-03-12T08:15:00+07:00", True, None, False),
    ("Thứ tư, 22/10/2025, 19:25 (GMT+7)", "2025-10-22T19:25:00+07:00", True, None, True),
    ("Cập nhật lúc 10:24 01/04/2025 (GMT+7)", "2025-04-01T10:24:00+07:00", True, "modified", False),
    ("08:15, 12/03/2024", "2024-03-12T08:15:00+07:00", True, None, False),
    ("Ngày 04/10/2024", "2024-10-04T00:00:00+07:00", False, None, False),
    ("12 tháng 3, 2024", "2024-03-12T00:00:00+07:00", False, None, False),
    ("12 tháng 03 năm 2024", "2024-03-12T00:00:00+07:00", False, None, False),
    ("ngày 12 tháng 3 năm 2024", "2024-03-12T00:00:00+07:00", False, None, False),
    ("12-03-2024", "2024-03-12T00:00:00+07:00", False, None, False),
    ("12.03.2024", "2024-03-12T00:00:00+07:00", False, None, False),
    ("T2, 11/3/2024", "2024-03-11T00:00:00+07:00", False, None, True),
    ("CN, 10/3/2024", "2024-03-10T00:00:00+07:00", False, None, True),
    ("2026-10-07 07:49 + 07:00", "2026-10-07T07:49:00+07:00", True, None, False),
    ("Xuất bản: 2019-08-06T19:05:01+07:00", "2019-08-06T19:05:01+07:00", True, "published", False),
    ("theo 2019-08-06T12:05:01Z", "2019-08-06T12:05:01+00:00", True, None, False),
    ("Ngày đăng: 12/03/2024 08:00", "2024-03-12T08:00:00+07:00", True, "published", False),
    ("Đăng lúc 10h30 ngày 12/3/2024", "2024-03-12T10:30:00+07:00", True, "published", False),
    ("Ngày cập nhật: 13/03/2024 09:00", "2024-03-13T09:00:00+07:00", True, "modified", False),
    ("Cập nhật: 13/03/2024", "2024-03-13T00:00:00+07:00", False, "modified", False),
    ("12/03/2024 08:15 UTC", "2024-03-12T08:15:00+00:00", True, None, False),
    ("12/03/2024 08:15 GMT+07:00", "2024-03-12T08:15:00+07:00", True, None, False),
    ("12/03/2024 08:15 +0700", "2024-03-12T08:15:00+07:00", True, None, False),
    ("12/03/2024 08:15:30", "2024-03-12T08:15:30+07:00", True, None, False),
    ("12/03/2024 8:15 PM", "2024-03-12T20:15:00+07:00", True, None, False),
    ("12/03/2024 08:15 CH", "2024-03-12T20:15:00+07:00", True, None, False),
    ("Thứ Bảy, 16/3/2024 | 07:00", "2024-03-16T07:00:00+07:00", True, None, True),
    ("Tin mới lúc 1/1/2000", "2000-01-01T00:00:00+07:00", False, None, False),
]


@pytest.mark.parametrize(("text", "iso", "has_time", "kind", "checked"), SHAPES)
def test_shapes(text: str, iso: str, has_time: bool, kind: str | None, checked: bool) -> None:
    parsed = only(text)
    assert parsed.value.isoformat() == iso
    assert parsed.value.utcoffset() is not None
    flags = (parsed.has_time, parsed.kind, parsed.relative, parsed.weekday_checked)
    assert flags == (has_time, kind, False, checked)


def test_seed_date_line() -> None:
    parsed = parse_date_text("THỨ BA, 06/08/2019 19:05:01")
    assert parsed is not None
    assert parsed.value.isoformat() == "2019-08-06T19:05:01+07:00"
    assert parsed.text == "THỨ BA, 06/08/2019 19:05:01"


@pytest.mark.parametrize(
    "text",
    [
        "THỨ BA, 06/08/2019 19:05:01",
        unicodedata.normalize("NFD", "Thứ ba, 06/08/2019 19:05:01"),
        "thứ ba, 06/08/2019 19:05:01",
        "Cập nhật: THỨ BA, 06/08/2019 19:05:01",
        "ÐĂNG LÚC 19:05:01 06/08/2019",
    ],
)
def test_case_nfd_and_eth(text: str) -> None:
    assert only(text).value == datetime(2019, 8, 6, 19, 5, 1, tzinfo=VN_TZ)


def test_eth_label_is_read_as_dang() -> None:
    assert only("Ðăng lúc 08:00 12/03/2024").kind == "published"


def test_day_month_order_always() -> None:
    assert only("06/08/2019").value.date() == date(2019, 8, 6)
    assert only("12/03/2024").value.date() == date(2024, 3, 12)
    assert find_dates("03/13/2024") == []  # month 13 does not exist: no US reading


# -------------------------------------------------------------------------- weekdays --------

# 11–17 March 2024 is Monday to Sunday.
WEEK = [date(2024, 3, 11) + timedelta(days=i) for i in range(7)]
WEEKDAY_SPELLINGS = [
    ["THỨ HAI", "Thứ 2", "T2", "thứ hai"],
    ["THỨ BA", "Thứ 3", "T3", "thứ ba"],
    ["THỨ TƯ", "Thứ 4", "T4", "thứ tư"],
    ["THỨ NĂM", "Thứ 5", "T5", "thứ năm"],
    ["THỨ SÁU", "Thứ 6", "T6", "thứ sáu"],
    ["THỨ BẢY", "Thứ 7", "T7", "thứ bảy"],
    ["CHỦ NHẬT", "Chủ nhật", "CN", "chủ nhật"],
]
WEEKDAY_CASES = [(name, day) for names, day in zip(WEEKDAY_SPELLINGS, WEEK, strict=True) for name in names]


@pytest.mark.parametrize(("name", "day"), WEEKDAY_CASES)
def test_weekday_confirms(name: str, day: date) -> None:
    parsed = only(f"{name}, {day.day}/{day.month}/{day.year} 09:30")
    assert parsed.value == datetime(day.year, day.month, day.day, 9, 30, tzinfo=VN_TZ)
    assert parsed.weekday_checked


@pytest.mark.parametrize(("name", "day"), WEEKDAY_CASES)
def test_contradicting_weekday_rejected(name: str, day: date) -> None:
    wrong = day + timedelta(days=1)
    assert find_dates(f"{name}, {wrong.day}/{wrong.month}/{wrong.year} 09:30") == []


def test_contradicting_match_does_not_hide_next_date() -> None:
    found = find_dates("Thứ hai, 12/3/2024 | Cập nhật 13/03/2024 10:00")
    assert [p.value.isoformat() for p in found] == ["2024-03-13T10:00:00+07:00"]


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Thứ 2", "2024-03-11T00:00:00+07:00"),
        ("Chủ nhật", "2024-03-10T00:00:00+07:00"),
        ("THỨ SÁU", "2024-03-15T00:00:00+07:00"),
        ("Thứ bảy, 08:15", "2024-03-09T08:15:00+07:00"),
    ],
)
def test_lone_weekday_is_relative(text: str, iso: str) -> None:
    parsed = only(text, now=NOW)
    assert parsed.value.isoformat() == iso
    assert parsed.relative


def test_lone_weekday_needs_now_and_a_boundary() -> None:
    assert find_dates("Thứ 2") == []
    assert find_dates("Đây là lần thứ 2 tổ chức", now=NOW) == []


# -------------------------------------------------------------------------- relative -------

RELATIVE = [
    ("5 phút trước", "2024-03-15T09:55:00+07:00", True),
    ("2 giờ trước", "2024-03-15T08:00:00+07:00", True),
    ("1 tiếng trước", "2024-03-15T09:00:00+07:00", True),
    ("30 giây trước", "2024-03-15T09:59:30+07:00", True),
    ("3 ngày trước", "2024-03-12T00:00:00+07:00", False),
    ("2 tuần trước", "2024-03-01T00:00:00+07:00", False),
    ("1 tháng trước", "2024-02-15T00:00:00+07:00", False),
    ("hôm qua 14:30", "2024-03-14T14:30:00+07:00", True),
    ("Hôm qua lúc 14:30", "2024-03-14T14:30:00+07:00", True),
    ("hôm qua", "2024-03-14T00:00:00+07:00", False),
    ("Hôm nay, 08:05", "2024-03-15T08:05:00+07:00", True),
    ("vừa xong", "2024-03-15T10:00:00+07:00", True),
    ("VỪA XONG", "2024-03-15T10:00:00+07:00", True),
]


@pytest.mark.parametrize(("text", "iso", "has_time"), RELATIVE)
def test_relative(text: str, iso: str, has_time: bool) -> None:
    parsed = only(text, now=NOW)
    assert parsed.value.isoformat() == iso
    assert parsed.relative and parsed.has_time == has_time


def test_relative_against_utc_and_naive_now() -> None:
    utc_now = NOW.astimezone(UTC)
    assert only("5 phút trước", now=utc_now).value.isoformat() == "2024-03-15T09:55:00+07:00"
    naive = datetime(2024, 3, 15, 10, 0)  # taken as local time
    assert only("5 phút trước", now=naive).value.isoformat() == "2024-03-15T09:55:00+07:00"


@pytest.mark.parametrize("text", [text for text, _, _ in RELATIVE])
def test_relative_without_now_not_returned(text: str) -> None:
    assert find_dates(text) == []


# ------------------------------------------------------------------------- several / best --


def test_find_dates_in_order() -> None:
    line = "Đăng 12/03/2024 08:00 | Cập nhật 13/03/2024 10:00"
    found = find_dates(line)
    assert [(p.value.isoformat(), p.kind) for p in found] == [
        ("2024-03-12T08:00:00+07:00", "published"),
        ("2024-03-13T10:00:00+07:00", "modified"),
    ]


@pytest.mark.parametrize(
    ("line", "iso"),
    [
        ("Cập nhật 13/03/2024 10:00 | Đăng 12/03/2024 08:00", "2024-03-12T08:00:00+07:00"),
        ("Cập nhật 13/03/2024 10:00 - Ngày đăng 12/03/2024", "2024-03-12T00:00:00+07:00"),
        ("12/03/2024 | 13/03/2024 10:00", "2024-03-13T10:00:00+07:00"),
        ("5 phút trước | 12/03/2024", "2024-03-12T00:00:00+07:00"),
    ],
)
def test_parse_date_text_preference(line: str, iso: str) -> None:
    parsed = parse_date_text(line, now=NOW)
    assert parsed is not None and parsed.value.isoformat() == iso


def test_dang_and_dang_told_apart() -> None:
    assert only("Đăng 12/03/2024").kind == "published"
    currently = only("đang 12/03/2024")
    assert currently.kind is None  # "đang" (currently) is not a label
    assert currently.text == "12/03/2024"


# ------------------------------------------------------------------------------ garbage ------

GARBAGE = [
    "", " ", "không có ngày", "32/01/2024", "29/02/2023", "12/13/2024", "00/01/2024",
    "12/03/0024", "25:61 12/03/2024", "1/2/3", "2024", "số điện thoại 0912.345.678",
    "mã 12-03-20245", "http://x.vn/2024/03/12/abc", "\x00\ufffd\U0010ffff", "12/03/2024/5",
    "Tháng 3/2024", "lần thứ 2",
]


@pytest.mark.parametrize("text", GARBAGE)
def test_garbage(text: str) -> None:
    assert parse_date_text(text) is None
    assert find_dates(text) == []


def test_invalid_time_rejects_the_match() -> None:
    # A date whose time is impossible is not trusted at all (never a wrong value).
    assert find_dates("12/03/2024 25:61") == []
    assert find_dates("25:61, 12/03/2024") == []


def test_random_text_never_raises() -> None:
    rng = random.Random(3)
    alphabet = "0123456789/:.-, +()THỨthứbaCNGMTUTCphúttrướcngàytháng năm Ð\u0301"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(50)))
        for parsed in find_dates(text, now=NOW):
            assert parsed.value.tzinfo is not None


# ---------------------------------------------------------------------------- ISO / RFC ------

ISO_VALUES = [
    ("2019-08-06T19:05:01+07:00", "2019-08-06T19:05:01+07:00", True),
    ("2019-08-06T19:05:01.123+07:00", "2019-08-06T19:05:01.123000+07:00", True),
    ("2019-08-06 19:05", "2019-08-06T19:05:00+07:00", True),
    ("2019-08-06T19:05", "2019-08-06T19:05:00+07:00", True),
    ("2019-08-06", "2019-08-06T00:00:00+07:00", False),
    ("2019-08-06T12:05:01Z", "2019-08-06T12:05:01+00:00", True),
    ("2019-08-06T19:05:01+0700", "2019-08-06T19:05:01+07:00", True),
    ("2026-10-07 07:49 + 07:00", "2026-10-07T07:49:00+07:00", True),
    (" 2019-08-06T19:05:01-05:00 ", "2019-08-06T19:05:01-05:00", True),
    ("20190806T190501+0700", "2019-08-06T19:05:01+07:00", True),
]


@pytest.mark.parametrize(("value", "iso", "has_time"), ISO_VALUES)
def test_parse_iso_datetime(value: str, iso: str, has_time: bool) -> None:
    parsed = parse_iso_datetime(value)
    assert parsed is not None
    assert parsed.value.isoformat() == iso
    assert parsed.has_time == has_time


@pytest.mark.parametrize(
    "value",
    ["", "garbage", "2019-13-01", "2019-02-30", "2019-08-06T25:00", "2019-08-06T10:00+25:00", "06/08/2019"],
)
def test_parse_iso_datetime_garbage(value: str) -> None:
    assert parse_iso_datetime(value) is None


RFC_VALUES = [
    ("Tue, 06 Aug 2019 19:05:01 +0700", "2019-08-06T19:05:01+07:00"),
    ("Tue, 06 Aug 2019 12:05:01 GMT", "2019-08-06T12:05:01+00:00"),
    ("Tue, 06 Aug 2019 19:05:01 GMT+7", "2019-08-06T19:05:01+07:00"),
    ("06 Aug 2019 19:05:01 +0700", "2019-08-06T19:05:01+07:00"),
    ("Tue, 06 Aug 2019 19:05:01", "2019-08-06T19:05:01+07:00"),
    ("2019-08-06T19:05:01+07:00", "2019-08-06T19:05:01+07:00"),
    ("06/08/2019 19:05:01", "2019-08-06T19:05:01+07:00"),
]


@pytest.mark.parametrize(("value", "iso"), RFC_VALUES)
def test_parse_rfc822(value: str, iso: str) -> None:
    parsed = parse_rfc822(value)
    assert parsed is not None and parsed.value.isoformat() == iso
    assert parsed.has_time


@pytest.mark.parametrize("value", ["", "garbage", "Tue, 99 Foo 2019", "Mon, 31 Feb 2019 10:00:00 +0700"])
def test_parse_rfc822_garbage(value: str) -> None:
    assert parse_rfc822(value) is None


# -------------------------------------------------------------------------- plausibility -----


@pytest.mark.parametrize(
    ("value", "founded", "flag"),
    [
        (datetime(2024, 3, 15, 9, 0, tzinfo=VN_TZ), None, None),
        (datetime(2024, 3, 16, 9, 0, tzinfo=VN_TZ), None, None),  # within a day: clock skew
        (datetime(2024, 3, 16, 10, 1, tzinfo=VN_TZ), None, "date_in_future"),
        (datetime(2030, 1, 1, tzinfo=VN_TZ), None, "date_in_future"),
        (datetime(1945, 9, 1, tzinfo=VN_TZ), None, "date_before_founded"),
        (datetime(1945, 9, 2, tzinfo=VN_TZ), None, None),
        (datetime(1959, 12, 31, tzinfo=VN_TZ), date(1960, 1, 1), "date_before_founded"),
        (datetime(1960, 1, 1, tzinfo=VN_TZ), date(1960, 1, 1), None),
        (datetime(1959, 12, 31, 18, 0, tzinfo=UTC), date(1960, 1, 1), None),  # 01:00 local
        (datetime(2024, 3, 15, 9, 0), None, None),  # naive: local time
    ],
)
def test_check_plausible(value: datetime, founded: date | None, flag: str | None) -> None:
    assert check_plausible(value, now=NOW, founded=founded) == flag


def test_docstring_examples() -> None:
    assert doctest.testmod(dates_module).failed == 0
