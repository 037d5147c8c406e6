"""Tests of pipeline.text.fold: the search key of Vietnamese text."""

from __future__ import annotations

import doctest
import re
import time
import unicodedata

import pytest

import pipeline.text.fold as fold_module
from pipeline.text.fold import FOLD_TABLE, fold, fold_aligned, fold_tokens, has_diacritics

from . import paths

SEED = paths.SEED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kim Thành", "kim thanh"),
        ("KIM THÀNH", "kim thanh"),
        (unicodedata.normalize("NFD", "Kim Thành"), "kim thanh"),
        ("kim thanh", "kim thanh"),
        ("Ðồng Nai", "dong nai"),
        ("Đồng Nai", "dong nai"),
        ("ĐỒNG NAI", "dong nai"),
        ("đồng nai", "dong nai"),
        ("hoà bình", "hoa binh"),
        ("hòa bình", "hoa binh"),
        ("Huyện ủy", "huyen uy"),
        ("Huyện uỷ", "huyen uy"),
        ("nông thôn mới", "nong thon moi"),
        ("Nguyễn Thị Thúy", "nguyen thi thuy"),
        ("ƯỚC MƠ", "uoc mo"),
        ("Đà Nẵng — “Quảng Ngãi”!", "da nang — “quang ngai”!"),
        ("bán bàn ban", "ban ban ban"),
        ("Café, naïve, Ångström", "cafe, naive, angstrom"),
        ("13 tập thể, 20 cá nhân", "13 tap the, 20 ca nhan"),
        ("a\u00a0b\u200bc", "a bc"),
        ("", ""),
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


def test_fold_keeps_token_boundaries_of_the_seed() -> None:
    text = SEED.read_text(encoding="utf-8")
    original = re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text))
    assert len(fold_tokens(text)) == len(original)
    assert fold_tokens(text)[:4] == ["huyen", "uy", "kim", "thanh"]


def test_fold_agrees_with_the_table_letter_by_letter() -> None:
    # The NFD path used by fold() and the prebuilt table give the same key for every letter.
    assert len(FOLD_TABLE) > 200
    for point, folded in FOLD_TABLE.items():
        assert fold(chr(point)) == folded, chr(point)


def test_every_vietnamese_letter_folds_to_ascii() -> None:
    letters = "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
    for letter in letters + letters.upper():
        folded = fold(letter)
        assert len(folded) == 1 and folded in "adeiouy", letter


def test_fold_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        FOLD_TABLE[ord("a")] = "b"  # type: ignore[index]


@pytest.mark.parametrize(
    "text", ["THỨ BA, 06/08/2019", "Ðồng Nai", "İstanbul", "Kim Thành", "x\u00a0y", "ﬁ"]
)
def test_fold_aligned_keeps_length(text: str) -> None:
    nfc = unicodedata.normalize("NFC", text)
    assert len(fold_aligned(nfc)) == len(nfc)


def test_fold_aligned_matches_fold_on_vietnamese() -> None:
    text = unicodedata.normalize("NFC", SEED.read_text(encoding="utf-8"))
    assert "\u00a0" in text  # the seed holds NBSPs: they fold to spaces in both
    assert fold_aligned(text) == fold(text)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Kim Thành, Hải Dương!", ["kim", "thanh", "hai", "duong"]),
        ("nông-thôn mới_2024", ["nong", "thon", "moi", "2024"]),
        ("“Đảng bộ” (HV)", ["dang", "bo", "hv"]),
        ("— … !", []),
    ],
)
def test_fold_tokens(text: str, tokens: list[str]) -> None:
    assert fold_tokens(text) == tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bán", True), ("bàn", True), ("ban", False), ("BAN", False), ("đi", True),
        ("Ðồng", True), ("kim thanh", False), ("Kim Thành", True), ("2024", False), ("", False),
        (unicodedata.normalize("NFD", "Thành"), True),
    ],
)
def test_has_diacritics(text: str, expected: bool) -> None:
    assert has_diacritics(text) is expected


def test_fold_speed() -> None:
    """Folding must stay cheap: well under 1 ms per 1,000 characters (measured ~45 µs)."""
    text = SEED.read_text(encoding="utf-8") * 20
    rounds = 20
    start = time.perf_counter()
    for _ in range(rounds):
        fold(text)
    per_thousand = (time.perf_counter() - start) / rounds / len(text) * 1000
    assert per_thousand < 1e-3, f"{per_thousand * 1e6:.1f} µs per 1,000 characters"


def test_docstring_examples() -> None:
    assert doctest.testmod(fold_module).failed == 0


def test_folded_words_are_the_token_regex_runs() -> None:
    """The ASCII shortcut of ``folded_words`` splits exactly where ``TOKEN_RE`` does."""
    from pipeline.text.fold import TOKEN_RE, folded_words

    samples = ["", "   ", "a_b c-d e.f 1,5 m3 (x) [y] {z} 'q' \"w\" a/b\\c\ttab\nline",
               "ẞ straße İstanbul ½ ² ΑΒΓ кириллица 中文 a\u00a0b a\u200bb", "x" * 3000 + " y"]
    samples += [fold(s) for s in samples]
    for sample in samples:
        assert folded_words(sample) == TOKEN_RE.findall(sample)
