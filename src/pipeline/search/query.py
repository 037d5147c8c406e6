"""The archivists' query language, parsed into folded terms and compiled for each engine.

Words are ANDed, ``"quoted phrases"`` match syllable sequences, ``OR`` joins alternatives,
``-word`` excludes, ``word*`` matches a prefix. User input never reaches an engine raw: the
parser keeps only folded word tokens (runs of letters and digits), and the FTS5 MATCH string
and the PostgreSQL tsquery are built from those tokens, each quoted.

    >>> parse_query('"Kim Thành" OR "Đồng Nai" -bán nông*').to_fts5()
    '("kim thanh" OR "dong nai") AND ("nong"*) NOT ("ban")'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pipeline.errors import InputError
from pipeline.text.fold import fold_tokens, has_diacritics

__all__ = ["ParsedQuery", "QueryError", "Term", "parse_query"]

# A prefix shorter than this would merge the postings of most of the vocabulary.
MIN_PREFIX = 2
MAX_TERMS = 32
# Splits raw input into quoted phrases and bare words, keeping a dangling quote's tail.
PIECE_RE = re.compile(r'"([^"]*)"?|(\S+)')


class QueryError(InputError):
    """A search query that cannot be run; the message says what is wrong and how to fix it."""


@dataclass(frozen=True, slots=True)
class Term:
    """One searchable unit: a word, a phrase (several words) or a prefix.

    ``words`` are folded tokens; ``exact`` holds the words as typed (NFC, lower case) when the
    user typed diacritics, for ranking exact matches first.
    """

    words: tuple[str, ...]
    prefix: bool = False
    exact: tuple[str, ...] = ()

    def to_fts5(self) -> str:
        quoted = '"' + " ".join(self.words) + '"'
        return quoted + "*" if self.prefix else quoted

    def to_tsquery(self) -> str:
        parts = [f"'{w}'" for w in self.words]
        if self.prefix:
            parts[-1] += ":*"
        return parts[0] if len(parts) == 1 else "(" + " <-> ".join(parts) + ")"


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


@dataclass(frozen=True, slots=True)
class _Piece:
    text: str
    quoted: bool


def split_pieces(text: str) -> list[_Piece]:
    """Quoted phrases and bare words; an unbalanced quote's tail is read as a phrase."""
    return [_Piece(m.group(1), True) if m.group(1) is not None else _Piece(m.group(2), False)
            for m in PIECE_RE.finditer(text)]


def make_term(raw: str, *, prefix: bool) -> Term | None:
    """A term from one piece of input, or None when it holds no letters or digits."""
    words = tuple(fold_tokens(raw))
    if not words:
        return None
    if prefix and len(words[-1]) < MIN_PREFIX:
        raise QueryError(f"the prefix {raw.strip()}* is too short: give at least {MIN_PREFIX} "
                         "letters before *")
    typed = unicodedata.normalize("NFC", raw).lower()
    exact = tuple(re.findall(r"[^\W_]+", typed)) if has_diacritics(raw) else ()
    return Term(words=words, prefix=prefix, exact=exact)


def parse_query(text: str) -> ParsedQuery:
    """Parse the user's query; raise :class:`QueryError` when it cannot be searched.

    Characters of the engines' own syntax (``NEAR(``, ``^``, ``:``, parentheses) are read
    literally, that is dropped as punctuation; a lone ``-`` or ``*`` is ignored.

    >>> [t.words for t in parse_query("Kim Thành").terms]
    [('kim',), ('thanh',)]
    """
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    pending_or = False
    for piece in split_pieces(text):
        if not piece.quoted and piece.text == "OR":
            if not groups or pending_or:
                raise QueryError('OR needs a word on each side, e.g. "Hải Dương" OR "Hải Phòng"')
            pending_or = True
            continue
        raw, negative, prefix = piece.text, False, False
        if not piece.quoted:
            negative = raw.startswith("-") and len(raw) > 1
            raw = raw.lstrip("-") if negative else raw
            prefix = raw.endswith("*") and len(raw.rstrip("*")) > 0
            raw = raw.rstrip("*")
        term = make_term(raw, prefix=prefix)
        if term is None:
            continue
        if negative:
            if pending_or:
                raise QueryError("OR cannot join an excluded word; write -a -b to exclude both")
            excluded.append(term)
        elif pending_or:
            groups[-1].append(term)
            pending_or = False
        else:
            groups.append([term])
    if pending_or:
        raise QueryError('OR needs a word on each side, e.g. "Hải Dương" OR "Hải Phòng"')
    if not groups and excluded:
        raise QueryError("a query cannot only exclude words: add a word to search for, "
                         "e.g. nông thôn -Hà")
    if sum(len(g) for g in groups) + len(excluded) > MAX_TERMS:
        raise QueryError(f"the query has more than {MAX_TERMS} terms; shorten it")
    return ParsedQuery(tuple(tuple(g) for g in groups), tuple(excluded))
