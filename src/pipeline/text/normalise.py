"""Text repair and normalisation for Vietnamese news pages.

Everything here is a pure function: mojibake repair, NFC, Ð→Đ, whitespace, word counts and
digests. No registry import, no I/O. Canonical URLs are in :mod:`pipeline.text.urls`, charset
decoding in :mod:`pipeline.text.charset`.

Repair undoes broken decoding only; it never copy-edits. The page's orthography is kept: old
and new tone placement ("Thanh Hoá" / "Thanh Hóa", "thuỷ" / "thủy") stay as printed. Moving
the tone to the modern place is :func:`unify_tone_placement`, applied only on request (the
``--orthography modern`` export); search folding strips tones, so both spellings meet there.

Example:
    >>> repair_text("Huyá»‡n á»§y Kim Thành")
    'Huyện ủy Kim Thành'
    >>> repair_text("Hoà Bình, thuỷ lợi")
    'Hoà Bình, thuỷ lợi'
    >>> unify_tone_placement("Hoà Bình, thuỷ lợi")
    'Hòa Bình, thủy lợi'
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from itertools import filterfalse
from types import MappingProxyType

__all__ = [
    "clean_inline",
    "count_words",
    "normalise_text",
    "normalise_unicode",
    "normalise_whitespace",
    "remove_invisible",
    "repair_mojibake",
    "repair_text",
    "sha256_text",
    "unify_tone_placement",
]


# --------------------------------------------------------------------------------------------
# Mojibake: UTF-8 bytes that were decoded as cp1252, latin-1 or cp1258.
# --------------------------------------------------------------------------------------------


def build_byte_table() -> Mapping[str, int]:
    """Map every character that cp1252, cp1258 or latin-1 produce for a byte back to that byte.

    The three code pages never assign one character to two different bytes, so one table undoes
    all of them, and also text mixing them. Bytes a code page leaves undefined (0x81, 0x90, ...)
    show up as the C1 control of the same number, as browsers and latin-1 decoders produce them.
    """
    table: dict[str, int] = {}
    for byte in range(0x80, 0x100):
        table[chr(byte)] = byte  # latin-1 and undefined slots
        for encoding in ("cp1252", "cp1258"):
            try:
                table[bytes([byte]).decode(encoding)] = byte
            except UnicodeDecodeError:
                continue
    return MappingProxyType(table)


BYTE_OF_CHAR: Mapping[str, int] = build_byte_table()


def build_mojibake_pattern() -> re.Pattern[str]:
    """A regex matching runs of well-formed UTF-8 sequences spelt in single-byte characters."""

    def char_class(low: int, high: int) -> str:
        chars = sorted(c for c, b in BYTE_OF_CHAR.items() if low <= b <= high)
        return "[" + "".join(re.escape(c) for c in chars) + "]"

    cont = char_class(0x80, 0xBF)
    lead2 = char_class(0xC2, 0xDF)
    lead3 = char_class(0xE0, 0xEF)
    lead4 = char_class(0xF0, 0xF4)
    sequence = f"(?:{lead2}{cont}|{lead3}{cont}{{2}}|{lead4}{cont}{{3}})"
    return re.compile(f"{sequence}+")


MOJIBAKE_RE = build_mojibake_pattern()


def build_lead_pair_pattern() -> re.Pattern[str]:
    """A regex matching a lead byte's character followed by a continuation byte's character.

    Every match of ``MOJIBAKE_RE`` starts with such a pair, so text without one holds no
    mojibake. The pattern starts with a character set, which the regex engine scans for in a
    tight loop: about six times faster than searching with ``MOJIBAKE_RE`` itself.
    """
    lead = sorted(c for c, b in BYTE_OF_CHAR.items() if 0xC2 <= b <= 0xF4)
    cont = sorted(c for c, b in BYTE_OF_CHAR.items() if 0x80 <= b <= 0xBF)
    return re.compile("[" + "".join(map(re.escape, lead)) + "][" + "".join(map(re.escape, cont)) + "]")


MOJIBAKE_START_RE = build_lead_pair_pattern()


def is_plausible_repair(decoded: str) -> bool:
    """True when every decoded character is something a Vietnamese page plausibly contains.

    This is what keeps correct text safe: an accidental lead+continuation pair in real text
    (say "Ô" followed by "”") decodes to Cyrillic or IPA letters, which are rejected.
    """
    for char in decoded:
        point = ord(char)
        if (
            0xA0 <= point <= 0x24F  # Latin-1 supplement, Latin extended A/B (ă, đ, ơ, ư, ĩ, ũ)
            or 0x300 <= point <= 0x323  # combining tone marks (NFD text)
            or 0x1E00 <= point <= 0x1EFF  # Latin extended additional (ạ ... ỹ)
            or 0x2000 <= point <= 0x206F  # general punctuation (“ ” – — …)
            or 0x20A0 <= point <= 0x20CF  # currency (₫, €)
            or 0x2100 <= point <= 0x27BF  # letterlike, arrows, shapes, dingbats (™, ●, ✓)
            or 0x1F000 <= point <= 0x1FAFF  # emoji
            or point == 0xFE0F
        ):
            continue
        return False
    return True


def repair_sequence(match: re.Match[str]) -> str:
    """Re-encode one suspicious run to bytes and decode it as UTF-8 when that is plausible."""
    run = match.group(0)
    decoded = decode_run(run)
    if decoded is not None and not is_plausible_repair(decoded):
        # Garbled twice: the first decoding gives C1 controls and symbols, the second letters.
        decoded = decode_run(decoded) if all(c in BYTE_OF_CHAR or c.isascii() for c in decoded) else None
    if decoded is None or not is_plausible_repair(decoded) or breaks_upper_case(match, decoded):
        return run
    return decoded


def breaks_upper_case(match: re.Match[str], decoded: str) -> bool:
    """True when a repair would put a lower-case letter inside an upper-case word.

    "NGÃ" + NBSP (a correct "NGÃ BA" in a headline) spells the UTF-8 of "à"; garbled
    upper-case text decodes to upper-case letters, so this repair would be wrong.
    """
    before = match.string[max(0, match.start() - 2):match.start()]
    return len(before) == 2 and before.isalpha() and before.isupper() and decoded[0].islower()


def decode_run(run: str) -> str | None:
    """The UTF-8 text spelt by a run of single-byte characters, None if it is not UTF-8."""
    try:
        return bytes(BYTE_OF_CHAR.get(c, ord(c)) for c in run).decode("utf-8")
    except (UnicodeDecodeError, ValueError):
        return None


def repair_mojibake(s: str) -> str:
    """Undo UTF-8 text that was decoded as cp1252 / latin-1 / cp1258, where the bytes say so.

    Only runs that re-encode to well-formed multi-byte UTF-8 decoding to plausible characters
    are replaced; everything else is left exactly as it was. Twice-garbled text is repaired by
    a second pass.

    >>> repair_mojibake("Huyá»‡n á»§y")
    'Huyện ủy'
    """
    if not MOJIBAKE_START_RE.search(s):
        return s  # exact: no run can start, so the loop below would change nothing
    original = s
    for _ in range(2):
        repaired = MOJIBAKE_RE.sub(repair_sequence, s)
        if repaired == s:
            break
        s = repaired
    if s != original:
        # The text was garbled, so the usual losses of garbled text can be guessed back.
        s = LOSSY_MOJIBAKE_RE.sub(repair_lossy, s)
    return s


# Garbling through strict cp1252 loses the bytes it has no character for: 0x90 (of "Đ") and
# 0x9D (of "”") became U+FFFD. In text known to be garbled these are unambiguous enough.
# (An NBSP of "à" later turned into a space is not guessed: "lÃ má»™t" may be "là một".)
LOSSY_MOJIBAKE_RE = re.compile("Ä\ufffd|â€\ufffd")
LOSSY_REPAIRS = MappingProxyType({"Ä\ufffd": "Đ", "â€\ufffd": "”"})


def repair_lossy(match: re.Match[str]) -> str:
    """Guess one lost byte of a garbled sequence (see ``LOSSY_MOJIBAKE_RE``)."""
    return LOSSY_REPAIRS[match.group(0)]


# --------------------------------------------------------------------------------------------
# Unicode clean-up: invisible characters, Ð; tone placement (on request only).
# --------------------------------------------------------------------------------------------

# Zero-width characters removed; U+200D (joiner) only next to letters: between symbols it glues
# emoji. Plain character classes: a regex over them is ~20x faster than str.translate here.
INVISIBLE_RE = re.compile("[\u200b\u200c\u2060\ufeff\u00ad\u200e\u200f]")
JOINER_RE = re.compile(r"(?<=[^\W_])\u200d|\u200d(?=[^\W_])")
ODD_SPACE_RE = re.compile("[\u00a0\u2000-\u200a\u202f\u205f\u3000]")
# Every character the three patterns above act on: one scan instead of three for clean text.
INVISIBLE_OR_ODD_RE = re.compile(
    "[\u200b\u200c\u2060\ufeff\u00ad\u200e\u200f\u200d\u00a0\u2000-\u200a\u202f\u205f\u3000]"
)
# Ð/ð (Icelandic eth) typed for Đ/đ: only at the start of a word and before a vowel, the only
# place Vietnamese đ can stand, so Icelandic names ("Guðrún") are untouched.
ETH_RE = re.compile(r"(?<![^\W\d_])([Ðð])(?=([^\W\d_]))")

TONED_SECOND_VOWEL = "àáảãạèéẻẽẹỳýỷỹỵÀÁẢÃẠÈÉẺẼẸỲÝỶỸỴ"
# The end of a word in o+(toned a|e) or u+(toned y): the syllables whose tone may move. The
# pattern starts at the vowel pair (a fast scan); the initial consonants are checked by hand.
NEW_STYLE_TONE_RE = re.compile(rf"([oOuU])([{TONED_SECOND_VOWEL}])(?![^\W\d_])")
VIETNAMESE_INITIALS = frozenset(
    {"", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng", "ngh",
     "nh", "p", "ph", "r", "s", "t", "th", "tr", "v", "x"}
)


def replace_eth(match: re.Match[str]) -> str:
    """Ð→Đ, ð→đ when the next letter is a vowel (the only shape of a Vietnamese đ syllable)."""
    following = unicodedata.normalize("NFD", match.group(2))[0].lower()
    if following not in "aeiouy":
        return match.group(1)
    return "Đ" if match.group(1) == "Ð" else "đ"


def word_initial(s: str, end: int) -> str | None:
    """The letters of the word that ends at ``end`` (exclusive), None if longer than 3."""
    start = end
    while start > 0 and end - start < 3 and s[start - 1].isalpha():
        start -= 1
    if start > 0 and s[start - 1].isalpha():
        return None
    return s[start:end]


def moved_tone(first: str, second: str) -> str:
    """The two vowels with the tone of ``second`` moved onto ``first`` ("oà" → "òa")."""
    parts = unicodedata.normalize("NFD", second)
    return unicodedata.normalize("NFC", first + parts[1:]) + parts[0]


def unify_tone_placement(s: str) -> str:
    """Put the tone of open "oa, oe, uy" syllables on the first vowel, as most papers do.

    "hoà"→"hòa", "khoẻ"→"khỏe", "thuý"→"thúy", "uỷ"→"ủy"; "quý", "hoàng", "thuyết" unchanged.
    Expects NFC text. Not part of repair: ingest keeps the page's spelling; exports apply this
    on request (``--orthography modern``).
    """
    pieces: list[str] = []
    done = 0
    for match in NEW_STYLE_TONE_RE.finditer(s):
        first, second = match.group(1), match.group(2)
        base = unicodedata.normalize("NFD", second)[0].lower()
        if (first.lower(), base) not in {("o", "a"), ("o", "e"), ("u", "y")}:
            continue
        initial = word_initial(s, match.start())
        if initial is None or initial.lower() not in VIETNAMESE_INITIALS:
            continue  # "quý": u belongs to the initial "qu"; long words are not syllables
        pieces.append(s[done:match.start()])
        pieces.append(moved_tone(first, second))
        done = match.end()
    if not pieces:
        return s
    pieces.append(s[done:])
    return "".join(pieces)


def normalise_unicode(s: str) -> str:
    """NFC, zero-width characters dropped, exotic spaces (NBSP, thin space...) made spaces."""
    return remove_invisible(unicodedata.normalize("NFC", s))


def remove_invisible(s: str) -> str:
    """Zero-width characters dropped, exotic spaces made plain spaces (any normal form)."""
    if s.isascii() or not INVISIBLE_OR_ODD_RE.search(s):
        return s
    # Test first, substitute rarely: most text holds none of these, and a search is cheap.
    if INVISIBLE_RE.search(s):
        s = INVISIBLE_RE.sub("", s)
    if "\u200d" in s:
        s = JOINER_RE.sub("", s)
    if ODD_SPACE_RE.search(s):
        s = ODD_SPACE_RE.sub(" ", s)
    return s


def repair_text(s: str) -> str:
    """Repair text before anything else reads it.

    Mojibake of UTF-8 undone (when re-encoding round-trips and gives Vietnamese), NFC,
    Ð/ð→Đ/đ in Vietnamese words, zero-width characters removed, NBSP made a space. The tone
    placement is the page's ("hoá" and "hóa" both stay). Correct text comes back unchanged.

    >>> repair_text("Ðồng Nai, UỶ BAN")
    'Đồng Nai, UỶ BAN'
    """
    s = repair_mojibake(s)
    s = normalise_unicode(s)
    if "Ð" in s or "ð" in s:
        s = ETH_RE.sub(replace_eth, s)
    return s


# --------------------------------------------------------------------------------------------
# Whitespace and inline fields.
# --------------------------------------------------------------------------------------------

SPACE_RUN_RE = re.compile(r"[^\S\n]+")
# Whitespace other than the plain space: line breaks, tabs, NBSP (re's \s is str.isspace).
NON_SPACE_WHITESPACE_RE = re.compile(r"[^\S ]")


def normalise_whitespace(s: str) -> str:
    """Collapse spaces inside lines, strip each line, drop blank lines; join with one "\\n".

    Per line this is ``SPACE_RUN_RE.sub(" ", line).strip()``, computed as
    ``" ".join(line.split())``: the same result, since a line holds no "\\n" and ``str.split``
    splits on exactly the characters ``\\s`` matches (both use ``str.isspace``), at a third of
    the cost.
    """
    if not (s.startswith(" ") or s.endswith(" ") or "  " in s or NON_SPACE_WHITESPACE_RE.search(s)):
        return s  # one line of words between single spaces (or ""): already normal
    lines = (" ".join(line.split()) for line in s.splitlines())
    return "\n".join(line for line in lines if line)


def normalise_text(s: str) -> str:
    """``normalise_whitespace(repair_text(s))``: the form in which text is archived."""
    return normalise_whitespace(repair_text(s))


def clean_inline(s: str | None) -> str | None:
    """Normalise a one-line field (title, author): newlines become spaces; empty gives None."""
    if s is None:
        return None
    text = normalise_text(s).replace("\n", " ")
    return text or None


# A letter or digit: re's \w less "_" is exactly the set of characters str.isalnum() accepts.
ALNUM_RE = re.compile(r"[^\W_]")


def count_words(text: str) -> int:
    """Whitespace-separated tokens holding a letter or a digit (a Vietnamese word is a syllable)."""
    # str.isalnum settles the plain words in C, without a scan; the regex finds a letter or a
    # digit in the others ("tuổi,", "(2021)", "–").
    tokens = text.split()
    others = list(filterfalse(str.isalnum, tokens))
    return len(tokens) - len(others) + sum(1 for token in others if ALNUM_RE.search(token))


def sha256_text(text: str) -> str:
    """Hex SHA-256 of the UTF-8 encoding of ``text``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
