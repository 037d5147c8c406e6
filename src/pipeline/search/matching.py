"""Where a query's terms stand in an article's own text, and how well they match there.

The common ground of ranking (:mod:`.ranking`), snippets (:mod:`.snippets`) and the phrase check
of candidates (:mod:`.candidates`), pure functions over text. A term is looked for in the NFC
text itself, each folded letter read as any of its accented forms ("d" as d, đ, Đ …), so no
text is folded (folding costs ~100 ns a character, the regex a tenth of that) and every span
found cuts the original; exactness is then read on the span, lower-cased, with one tone
placement ("hoà" and "hòa" are the same word typed two ways). From best to worst:

- the words side by side (spaces, or a hyphen inside a name like "Rịa-Vũng"), each typed mark
  as typed: ``PHRASE_EXACT`` (a query typed without marks has no worse level than this);
- side by side, but some typed mark differs ("mỗi" for "mới"): ``PHRASE_FOLDED``;
- side by side across punctuation ("Lưu Bình - Dương Lễ" for "bình dương"): ``PHRASE_PUNCT``;
- apart, every marked word present as typed: ``WORDS_EXACT``; apart, folded only: ``WORDS_FOLDED``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.search.query import ParsedQuery, Term
from pipeline.text.fold import FOLD_TABLE
from pipeline.text.normalise import unify_tone_placement

__all__ = ["Matcher", "PhraseChecks", "Prepared", "apart_spans", "join_fields", "matchers_of", "phrase_checks",
           "phrases_hold", "prepare", "score_article", "term_score", "term_spans"]

PHRASE_EXACT, PHRASE_FOLDED, PHRASE_PUNCT = 4.0, 2.0, 1.5
WORDS_EXACT, WORDS_FOLDED = 1.25, 1.0
# Added to a side-by-side match by the field it stands in: title, description, body.
FIELD_BONUS = (1.0, 0.5, 0.0)
# Per occurrence at the best level (at most TF_CAP of them): frequent beats passing mention.
TF_STEP, TF_CAP = 0.1, 4
WORD = r"[^\W_]"
TOKEN_RE = re.compile(r"[^\W_]+")
# What may stand between the syllables of a word: spaces, or one hyphen ("Bà Rịa-Vũng Tàu").
JOINT, PUNCT = r"(?:\s+|-)", r"[\W_]+"

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Prepared:
    """A text in NFC, as the patterns read it."""

    nfc: str


def prepare(text: str) -> Prepared:
    return Prepared(text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text))


def build_variants() -> dict[str, str]:
    """Each folded letter → a regex class of every letter that folds to it, either case."""
    forms: dict[str, set[str]] = {}
    for point, base in FOLD_TABLE.items():
        forms.setdefault(base, {base}).add(chr(point))
    return {base: "[" + "".join(sorted(chars)) + "]" for base, chars in forms.items()}


VARIANTS = build_variants()


def letters(word: str) -> str:
    """The regex of a folded word over unfolded text."""
    return "".join(VARIANTS.get(c, re.escape(c)) for c in word)


@dataclass(frozen=True, slots=True)
class Matcher:
    """One term's patterns over NFC text, and its marked words as typed (one tone placement)."""

    term: Term
    phrase: re.Pattern[str]
    across: re.Pattern[str] | None
    words: tuple[re.Pattern[str], ...]
    exact: tuple[str | None, ...]


def word_regex(words: Sequence[str], joint: str, prefix: bool) -> re.Pattern[str]:
    """Whole syllables; the start of a word is checked by :func:`find_spans`, not by a
    look-behind, which would cost the regex engine its fast scan for the first letter (~14×)."""
    body = joint.join(letters(w) for w in words) + (WORD + "*" if prefix else "")
    return re.compile(rf"{body}(?!{WORD})")


def find_spans(pattern: re.Pattern[str], text: str, first: bool = False) -> list[Span]:
    """The matches of ``pattern`` in ``text`` that start a word (only the first with ``first``)."""
    spans: list[Span] = []
    at = 0
    while (found := pattern.search(text, at)) is not None:
        start = found.start()
        if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
            at = start + 1
            continue
        spans.append(found.span())
        if first:
            break
        at = max(found.end(), start + 1)
    return spans


@functools.lru_cache(maxsize=256)
def make_matcher(term: Term) -> Matcher:
    n = len(term.words)
    exact = tuple(unify_tone_placement(term.typed[i]) if m else None for i, m in enumerate(term.marked))
    return Matcher(
        term=term,
        phrase=word_regex(term.words, JOINT, term.prefix),
        # Runs rank by words side by side or apart; across punctuation is a phrase's concern.
        across=word_regex(term.words, PUNCT, term.prefix) if n > 1 and not term.loose else None,
        words=tuple(word_regex([w], "", term.prefix and i == n - 1) for i, w in enumerate(term.words)),
        exact=exact if len(exact) == n else (None,) * n,
    )


def matchers_of(parsed: ParsedQuery) -> tuple[tuple[Matcher, ...], ...]:
    """The matchers of the query's positive terms, by AND group."""
    return tuple(tuple(make_matcher(t) for t in g) for g in parsed.groups)


def is_exact(m: Matcher, doc: Prepared, span: Span, first: int = 0) -> bool:
    """True when every marked word in ``span`` (words from index ``first``) is as typed."""
    if not any(m.exact):
        return True
    tokens = TOKEN_RE.findall(unify_tone_placement(doc.nfc[span[0]:span[1]].lower()))
    for i, token in enumerate(tokens):
        want = m.exact[first + i] if first + i < len(m.exact) else None
        if want is None:
            continue
        last = m.term.prefix and first + i == len(m.exact) - 1
        if not (token.startswith(want) if last else token == want):
            return False
    return True


def phrase_spans(m: Matcher, doc: Prepared) -> tuple[float, list[Span]]:
    """The best side-by-side level of the term in ``doc`` and its spans there (0 and [] if none)."""
    spans = find_spans(m.phrase, doc.nfc)
    if spans:
        exact = [s for s in spans if is_exact(m, doc, s)]
        return (PHRASE_EXACT, exact) if exact else (PHRASE_FOLDED, spans)
    if m.across is not None:
        across = find_spans(m.across, doc.nfc)
        if across:
            return PHRASE_PUNCT, across
    return 0.0, []


def word_spans(m: Matcher, doc: Prepared, i: int) -> tuple[list[Span], list[Span]]:
    """(exact, all) spans of word ``i`` of the term in ``doc``."""
    spans = find_spans(m.words[i], doc.nfc)
    return [s for s in spans if is_exact(m, doc, s, first=i)], spans


def term_spans(m: Matcher, doc: Prepared) -> list[Span]:
    """What to highlight: the phrase at its best level, else (a run's) each word, as typed when present.

    A phrase that is not in ``doc`` marks nothing: its words elsewhere are not the phrase.
    """
    level, spans = phrase_spans(m, doc)
    if level or (len(m.words) > 1 and not m.term.loose):
        return spans
    return apart_spans(m, doc)


def apart_spans(m: Matcher, doc: Prepared) -> list[Span]:
    """Each word of the term, where it stands as typed when it does somewhere in ``doc``."""
    out: list[Span] = []
    for i in range(len(m.words)):
        exact, every = word_spans(m, doc, i)
        out += exact or every
    return out


def term_score(m: Matcher, fields: Sequence[Prepared]) -> float:
    """How well the term matches an article given as (title, description, body)."""
    best, count = 0.0, 0
    for bonus, doc in zip(FIELD_BONUS, fields, strict=False):
        level, spans = phrase_spans(m, doc)
        if not level:
            continue
        if level + bonus > best:
            best = level + bonus
        count += len(spans)
    if best >= PHRASE_PUNCT:
        return best + TF_STEP * min(count, TF_CAP)
    if not m.term.loose or len(m.words) == 1:
        return 0.0  # not in the text: another alternative of its OR group matched
    # A run whose words stand apart: the index matched each; only their diacritics are left.
    if not any(m.exact):
        return WORDS_FOLDED
    exact = all(m.exact[i] is None or any(has_exact_word(m, doc, i) for doc in fields)
                for i in range(len(m.words)))
    return WORDS_EXACT if exact else WORDS_FOLDED


def has_exact_word(m: Matcher, doc: Prepared, i: int) -> bool:
    """True when word ``i`` of the term stands in ``doc`` as typed."""
    return any(is_exact(m, doc, s, first=i) for s in find_spans(m.words[i], doc.nfc))


def score_article(groups: tuple[tuple[Matcher, ...], ...], fields: Sequence[Prepared]) -> float:
    """The article's score: per AND group, its best alternative, summed."""
    return sum(max(term_score(m, fields) for m in g) for g in groups)


# -- the side-by-side rule of phrases ----------------------------------------------------------
# Both indexes drop punctuation, so their phrase match also accepts "Lưu Bình - Dương Lễ" for
# "bình dương"; a phrase means the syllables side by side, which these checks then require.
PhraseChecks = tuple[tuple[tuple[re.Pattern[str], ...], ...], ...]
# Between fields when they are checked as one text: punctuation, so no phrase spans two fields.
FIELD_JOINT = "\n.\n"


def term_check(term: Term) -> tuple[re.Pattern[str], ...]:
    """What must stand in the text for ``term``: its phrase side by side, or (a run) each word."""
    if len(term.words) > 1 and not term.loose:
        return (word_regex(term.words, JOINT, term.prefix),)
    n = len(term.words)
    return tuple(word_regex([w], "", term.prefix and i == n - 1) for i, w in enumerate(term.words))


def phrase_checks(parsed: ParsedQuery) -> PhraseChecks | None:
    """Per AND group, per term, the patterns that must all stand in the text; None when the
    query holds no phrase (then the index's match is the answer)."""
    if not any(len(t.words) > 1 and not t.loose for t in parsed.terms):
        return None
    # Only the groups holding a phrase need a look at the text.
    return tuple(tuple(term_check(t) for t in g) for g in parsed.groups
                 if any(len(t.words) > 1 and not t.loose for t in g))


def phrases_hold(checks: PhraseChecks, text: str) -> bool:
    """True when every group has a term all of whose patterns stand in ``text``."""
    return all(any(all(find_spans(p, text, first=True) for p in term) for term in g) for g in checks)


def join_fields(*fields: str | None) -> str:
    """The fields as one NFC text, punctuation between them (no phrase spans two fields)."""
    return prepare(FIELD_JOINT.join(f or "" for f in fields)).nfc
