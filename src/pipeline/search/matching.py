"""Where a query's terms stand in an article's own text, and how well they match there.

The common ground of ranking (:mod:`.ranking`) and snippets (:mod:`.snippets`), pure functions
over text. A term is looked for on a length-preserving fold of the NFC text, so every span found
cuts the original; exactness is then read on the lower-cased original with one tone placement
("hoà" and "hòa" are the same word typed two ways). From best to worst:

- the words side by side (spaces, or a hyphen inside a name like "Rịa-Vũng"), each typed mark
  as typed: ``PHRASE_EXACT`` (a query typed without marks has no worse level than this);
- side by side, but some typed mark differs ("mỗi" for "mới"): ``PHRASE_FOLDED``;
- side by side across punctuation ("Lưu Bình - Dương Lễ" for "bình dương"): ``PHRASE_PUNCT``;
- apart, every marked word present as typed: ``WORDS_EXACT``; apart, folded only: ``WORDS_FOLDED``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.search.query import ParsedQuery, Term
from pipeline.text.fold import fold, fold_aligned
from pipeline.text.normalise import unify_tone_placement

__all__ = ["Matcher", "PhraseChecks", "Prepared", "fold_fields", "matchers_of", "phrase_checks", "phrases_hold",
           "prepare", "score_article", "term_score", "term_spans"]

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
    """A text three ways, all the same length: NFC, folded, and lower case with one tone placement."""

    nfc: str
    folded: str
    toned: str


def prepare(text: str) -> Prepared:
    nfc = unicodedata.normalize("NFC", text)
    lowered = nfc.lower()
    toned = unify_tone_placement(lowered) if len(lowered) == len(nfc) else ""
    return Prepared(nfc, fold_aligned(nfc), toned if len(toned) == len(nfc) else "")


@dataclass(frozen=True, slots=True)
class Matcher:
    """One term's patterns over folded text, and its marked words as typed (one tone placement)."""

    term: Term
    phrase: re.Pattern[str]
    across: re.Pattern[str] | None
    words: tuple[re.Pattern[str], ...]
    exact: tuple[str | None, ...]


def word_regex(words: Sequence[str], joint: str, prefix: bool) -> re.Pattern[str]:
    body = joint.join(re.escape(w) for w in words) + (WORD + "*" if prefix else "")
    return re.compile(rf"(?<!{WORD}){body}(?!{WORD})")


def make_matcher(term: Term) -> Matcher:
    n = len(term.words)
    exact = tuple(unify_tone_placement(term.typed[i]) if m else None for i, m in enumerate(term.marked))
    return Matcher(
        term=term,
        phrase=word_regex(term.words, JOINT, term.prefix),
        across=word_regex(term.words, PUNCT, term.prefix) if n > 1 else None,
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
    if not doc.toned:
        return False
    tokens = TOKEN_RE.findall(doc.toned[span[0]:span[1]])
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
    spans = [x.span() for x in m.phrase.finditer(doc.folded)]
    if spans:
        exact = [s for s in spans if is_exact(m, doc, s)]
        return (PHRASE_EXACT, exact) if exact else (PHRASE_FOLDED, spans)
    if m.across is not None:
        across = [x.span() for x in m.across.finditer(doc.folded)]
        if across:
            return PHRASE_PUNCT, across
    return 0.0, []


def word_spans(m: Matcher, doc: Prepared, i: int) -> tuple[list[Span], list[Span]]:
    """(exact, all) spans of word ``i`` of the term in ``doc``."""
    spans = [x.span() for x in m.words[i].finditer(doc.folded)]
    return [s for s in spans if is_exact(m, doc, s, first=i)], spans


def term_spans(m: Matcher, doc: Prepared) -> list[Span]:
    """What to highlight: the phrase at its best level, else (a run's) each word, as typed when present.

    A phrase that is not in ``doc`` marks nothing: its words elsewhere are not the phrase.
    """
    level, spans = phrase_spans(m, doc)
    if level or (len(m.words) > 1 and not m.term.loose):
        return spans
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
    present = [word_spans(m, doc, i) for doc in fields for i in range(len(m.words))]
    n = len(m.words)
    every = all(any(present[k * n + i][1] for k in range(len(fields))) for i in range(n))
    if not every:
        return 0.0
    exact = all(any(present[k * n + i][0] for k in range(len(fields))) for i in range(n))
    return WORDS_EXACT if exact and any(m.exact) else WORDS_FOLDED


def score_article(groups: tuple[tuple[Matcher, ...], ...], fields: Sequence[Prepared]) -> float:
    """The article's score: per AND group, its best alternative, summed."""
    return sum(max(term_score(m, fields) for m in g) for g in groups)


# -- the side-by-side rule of phrases ----------------------------------------------------------
# Both indexes drop punctuation, so their phrase match also accepts "Lưu Bình - Dương Lễ" for
# "bình dương"; a phrase means the syllables side by side, which these checks then require.
PhraseChecks = tuple[tuple[re.Pattern[str] | None, ...], ...]
# Between fields when they are checked as one text: punctuation, so no phrase spans two fields.
FIELD_JOINT = "\n.\n"


def phrase_checks(parsed: ParsedQuery) -> PhraseChecks | None:
    """Per AND group, per term, the pattern a phrase must meet on folded text (None: any match
    of the index will do); None when the query holds no phrase at all."""
    checks = tuple(tuple(word_regex(t.words, JOINT, t.prefix) if len(t.words) > 1 and not t.loose else None
                         for t in g) for g in parsed.groups)
    return checks if any(c is not None for g in checks for c in g) else None


def phrases_hold(checks: PhraseChecks, folded: str) -> bool:
    """True when every AND group has a term whose phrase (if any) stands side by side in ``folded``."""
    return all(any(c is None or c.search(folded) for c in g) for g in checks)


def fold_fields(*fields: str | None) -> str:
    """The fields folded as one text, punctuation between them."""
    return fold(FIELD_JOINT.join(f or "" for f in fields))
