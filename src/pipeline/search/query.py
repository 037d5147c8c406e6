"""The archivists' query language, parsed into folded terms and compiled for each engine.

The rules, as ``baotinh search --help`` and the README state them:

- Words typed side by side form a *run*: every word must occur, and articles where they stand
  side by side (the Vietnamese word "Đồng Nai" rather than "đồng … nai") rank first.
- ``OR`` binds the written groups on either side: the run (or quoted phrase) just before it and
  the one just after it, each read as a phrase. ``dong nai OR binh duong`` means
  "dong nai" OR "binh duong"; write ``kim AND dong nai OR binh duong`` to keep "kim" apart.
- ``AND`` separates runs (``kim AND thanh``: both words, anywhere, no phrase preference);
  groups are ANDed anyway, so ``AND`` only says where a run ends.
- ``NOT`` excludes the written group after it (as a phrase); ``-word`` excludes one word (or
  ``-"a phrase"``).
- ``"quoted phrases"`` match the syllables in sequence; ``word*`` matches a prefix and ends its run.
- Operators are the upper-case words ``OR``, ``AND``, ``NOT``; lower case they are words.

User input never reaches an engine raw: the parser keeps only folded word tokens (runs of
letters and digits), and the FTS5 MATCH string and the PostgreSQL tsquery are built from those
tokens, each quoted. The query is shown back in words (:meth:`ParsedQuery.describe`).

    >>> parse_query('"Kim Thành" OR "Đồng Nai" -bán nông*').to_fts5()
    '("kim thanh" OR "dong nai") AND ("nong"*) NOT ("ban")'
    >>> parse_query("dong nai OR binh duong").describe("vi")
    'Tìm: "dong nai" HOẶC "binh duong"'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from pipeline.errors import InputError
from pipeline.text.fold import fold_tokens

__all__ = ["OPERATORS", "ParsedQuery", "QueryError", "Term", "parse_query"]

# A prefix shorter than this would merge the postings of most of the vocabulary.
MIN_PREFIX = 2
MAX_TERMS = 32
# Splits raw input into quoted phrases and bare words, keeping a dangling quote's tail.
# A "-" glued before a quote excludes the phrase: -"Hà Nội".
PIECE_RE = re.compile(r'(?<!\S)(-?)"([^"]*)"?|"([^"]*)"?|(\S+)')
TOKEN_RE = re.compile(r"[^\W_]+")
OPERATORS = ("OR", "AND", "NOT")
# The words of the query shown back, per interface language.
WORDS = {
    "vi": {"lead": "Tìm:", "OR": "HOẶC", "AND": "VÀ", "NOT": "KHÔNG"},
    "en": {"lead": "Searching:", "OR": "OR", "AND": "AND", "NOT": "NOT"},
}
OR_HELP = 'OR needs a word on each side, e.g. "Hải Dương" OR "Hải Phòng"'
AND_HELP = "AND needs a word on each side, e.g. kim AND thành"
NOT_HELP = "NOT needs a word after it, e.g. nông thôn NOT hà nội"


class QueryError(InputError):
    """A search query that cannot be run; the message says what is wrong and how to fix it."""


@dataclass(frozen=True, slots=True)
class Term:
    """One searchable unit: a word, a phrase (several words), a run, or a prefix.

    ``words`` are folded tokens. ``typed`` holds the same tokens as typed (NFC, lower case),
    one per word. ``loose`` marks a run of words typed side by side: each must occur, side by
    side ranks first; otherwise several words are a phrase (in sequence).
    """

    words: tuple[str, ...]
    prefix: bool = False
    typed: tuple[str, ...] = ()
    loose: bool = False

    @property
    def exact(self) -> tuple[str, ...]:
        """The words as typed when the user typed diacritics in them, else ()."""
        return self.typed if self.typed != self.words and len(self.typed) == len(self.words) else ()

    @property
    def marked(self) -> tuple[bool, ...]:
        """Per word: True when it was typed with diacritics (ranked exact-first)."""
        exact = self.exact
        return tuple(bool(exact) and exact[i] != w for i, w in enumerate(self.words))

    def as_phrase(self) -> Term:
        return replace(self, loose=False)

    def to_fts5(self) -> str:
        if self.loose and len(self.words) > 1:
            quoted = [f'"{w}"' for w in self.words]
            quoted[-1] += "*" if self.prefix else ""
            return " AND ".join(quoted)
        quoted_phrase = '"' + " ".join(self.words) + '"'
        return quoted_phrase + "*" if self.prefix else quoted_phrase

    def to_tsquery(self) -> str:
        parts = [f"'{w}'" for w in self.words]
        if self.prefix:
            parts[-1] += ":*"
        joint = " & " if self.loose else " <-> "
        return parts[0] if len(parts) == 1 else "(" + joint.join(parts) + ")"

    def describe(self) -> str:
        shown = " ".join(self.typed or self.words) + ("*" if self.prefix else "")
        return shown if self.loose or len(self.words) == 1 else f'"{shown}"'


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A parsed query: AND of ``groups`` (each an OR of terms), minus ``excluded`` terms."""

    groups: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.groups

    @property
    def terms(self) -> tuple[Term, ...]:
        """Every positive term, in query order."""
        return tuple(t for g in self.groups for t in g)

    @property
    def has_diacritics(self) -> bool:
        return any(t.exact for t in self.terms)

    @property
    def has_runs(self) -> bool:
        """True when some run of several words may match apart (adjacency then ranks)."""
        return any(t.loose and len(t.words) > 1 for t in self.terms)

    def as_phrases(self) -> ParsedQuery:
        """The same query with every run read as a phrase (the side-by-side matches only)."""
        return ParsedQuery(tuple(tuple(t.as_phrase() for t in g) for g in self.groups), self.excluded)

    def to_fts5(self) -> str:
        """The FTS5 MATCH expression (every token quoted)."""
        expr = " AND ".join("(" + " OR ".join(t.to_fts5() for t in g) + ")" for g in self.groups)
        if self.excluded:
            expr += " NOT (" + " OR ".join(t.to_fts5() for t in self.excluded) + ")"
        return expr

    def to_tsquery(self) -> str:
        """The PostgreSQL ``to_tsquery('simple', …)`` text (every lexeme quoted)."""
        expr = " & ".join("(" + " | ".join(t.to_tsquery() for t in g) + ")" for g in self.groups)
        if self.excluded:
            expr += " & !(" + " | ".join(t.to_tsquery() for t in self.excluded) + ")"
        return expr

    def describe(self, lang: str = "en") -> str:
        """The query as understood, in words: ``Tìm: "đồng nai" HOẶC "bình dương"``.

        Phrases in quotes, runs bare (all their words, side by side first), then the operators
        in the interface's language. Empty for an empty query.
        """
        if self.is_empty:
            return ""
        words = WORDS.get(lang, WORDS["en"])
        ors = [f" {words['OR']} ".join(t.describe() for t in g) for g in self.groups]
        several = len(self.groups) + len(self.excluded) > 1
        parts = [f"({o})" if several and len(g) > 1 else o for o, g in zip(ors, self.groups, strict=True)]
        parts += [f"{words['NOT']} {t.describe()}" for t in self.excluded]
        return f"{words['lead']} " + f" {words['AND']} ".join(parts)

    def descriptions(self) -> dict[str, str]:
        """:meth:`describe` in every interface language, keyed by language."""
        return {} if self.is_empty else {lang: self.describe(lang) for lang in WORDS}


@dataclass(frozen=True, slots=True)
class _Piece:
    text: str
    quoted: bool
    negative: bool = False


@dataclass(slots=True)
class _Unit:
    """A written group before grouping: a run of bare words or one quoted phrase."""

    words: list[str]
    typed: list[str]
    pieces: int = 1
    prefix: bool = False
    quoted: bool = False
    negative: bool = False

    def term(self, *, bound: bool) -> Term:
        """The term; a run of several pieces is loose unless an operator binds it."""
        loose = not bound and not self.quoted and self.pieces > 1
        typed = tuple(self.typed) if len(self.typed) == len(self.words) else tuple(self.words)
        return Term(tuple(self.words), self.prefix, typed, loose)


def split_pieces(text: str) -> list[_Piece]:
    """Quoted phrases and bare words; an unbalanced quote's tail is read as a phrase."""
    pieces = []
    for m in PIECE_RE.finditer(text):
        if m.group(2) is not None:
            pieces.append(_Piece(m.group(2), True, negative=m.group(1) == "-"))
        elif m.group(3) is not None:
            pieces.append(_Piece(m.group(3), True))
        else:
            pieces.append(_Piece(m.group(4), False))
    return pieces


def typed_tokens(raw: str) -> list[str]:
    return TOKEN_RE.findall(unicodedata.normalize("NFC", raw).lower())


def read_units(text: str) -> list[_Unit | str]:
    """The input as written groups and operator names, runs of bare words merged."""
    out: list[_Unit | str] = []
    open_run = False  # the last unit is a run that the next bare word may extend
    for piece in split_pieces(text):
        if not piece.quoted and piece.text in OPERATORS:
            out.append(piece.text)
            open_run = False
            continue
        raw, negative, prefix = piece.text, piece.negative, False
        if not piece.quoted:
            negative = raw.startswith("-") and len(raw) > 1
            raw = raw.lstrip("-") if negative else raw
            prefix = raw.endswith("*") and len(raw.rstrip("*")) > 0
            raw = raw.rstrip("*")
        words = fold_tokens(raw)
        if not words:
            continue
        if prefix and len(words[-1]) < MIN_PREFIX:
            raise QueryError(f"the prefix {raw.strip()}* is too short: give at least {MIN_PREFIX} "
                             "letters before *")
        last = out[-1] if out else None
        if open_run and isinstance(last, _Unit) and not piece.quoted and not negative:
            last.words += words
            last.typed += typed_tokens(raw)
            last.pieces += 1
            last.prefix = prefix
        else:
            out.append(_Unit(words, typed_tokens(raw), 1, prefix, piece.quoted, negative))
        open_run = not piece.quoted and not negative and not prefix
    return out


def parse_query(text: str) -> ParsedQuery:
    """Parse the user's query; raise :class:`QueryError` when it cannot be searched.

    Characters of the engines' own syntax (``NEAR(``, ``^``, ``:``, parentheses) are read
    literally, that is dropped as punctuation; a lone ``-`` or ``*`` is ignored.

    >>> [t.words for t in parse_query("Kim Thành").terms]
    [('kim', 'thanh')]
    """
    units = read_units(text)
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    for i, item in enumerate(units):
        before = units[i - 1] if i else None
        after = units[i + 1] if i + 1 < len(units) else None
        if isinstance(item, str):
            check_operator(item, before, after)
            continue
        bound = "OR" in (before, after)
        term = item.term(bound=bound or before == "NOT")
        if item.negative or before == "NOT":
            if bound:
                raise QueryError("OR cannot join an excluded word; write -a -b to exclude both")
            excluded.append(term)
        elif before == "OR":
            groups[-1].append(term)
        else:
            groups.append([term])
    if not groups and excluded:
        raise QueryError("a query cannot only exclude words: add a word to search for, "
                         "e.g. nông thôn -Hà")
    if sum(len(g) for g in groups) + len(excluded) > MAX_TERMS:
        raise QueryError(f"the query has more than {MAX_TERMS} terms; shorten it")
    return ParsedQuery(tuple(tuple(g) for g in groups), tuple(excluded))


def check_operator(op: str, before: _Unit | str | None, after: _Unit | str | None) -> None:
    """An operator needs a written group after it (and OR, AND one before it too)."""
    if op == "NOT":
        if not isinstance(after, _Unit):
            raise QueryError(NOT_HELP)
        return
    needs_after = isinstance(after, _Unit) or (op == "AND" and after == "NOT")
    if not isinstance(before, _Unit) or not needs_after:
        raise QueryError(OR_HELP if op == "OR" else AND_HELP)
    if op == "OR" and before.negative:
        raise QueryError("OR cannot join an excluded word; write -a -b to exclude both")
