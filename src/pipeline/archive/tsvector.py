"""PostgreSQL's ``tsvector`` of folded article fields, built in Python.

Revision 0004 indexed ``setweight(to_tsvector('simple', baotinh_words(field)), W)`` for the
title (A), description (B), text (C) and author (D), concatenated with ``||``. Tokenising a
4 KB article on the server costs about 1 ms (``regexp_replace`` and the text-search parser);
the store already holds the folded text, so it builds the same vector here and sends it as a
``tsvector`` literal, which the server only parses. The result is byte-identical to the SQL
(``tests/test_pg_writes.py`` compares the two):

* ``baotinh_words`` leaves runs of letters and digits separated by single spaces; the default
  parser makes each run one token, and the ``simple`` dictionary keeps every token as it is
  (already lower case) at the next position, starting at 1;
* a token longer than 2,047 bytes is skipped (and takes no position); positions stop at 16,383;
  a lexeme keeps at most 255 positions, and a repeat of the position 16,383 is dropped;
* ``a || b`` shifts the positions of ``b`` by the highest position of ``a``, within the same
  limits; lexemes are ordered by their UTF-8 bytes.
"""

from __future__ import annotations

import unicodedata

from pipeline.text.fold import folded_words

__all__ = ["field_tokens", "tsvector_literal"]

MAX_TOKEN_BYTES = 2047
MAX_POS = 16383
MAX_POSITIONS = 256  # PostgreSQL's MAXNUMPOS: a lexeme keeps MAX_POSITIONS - 1 of them
WEIGHTS = ("A", "B", "C", "D")

# Non-ASCII characters whose class (letter, or not a word character at all) Python and the
# server's C.UTF-8 locale agree on; any other (digits beyond 0-9, ½, marks, symbols) sends the
# article to the server's own parser.
SAFE_CATEGORIES = frozenset({"Ll", "Lu", "Lt", "Lo", "Zs", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po"})


def _agreed(folded: str | None) -> bool:
    """True when every character of ``folded`` is read alike by ``[^\\W_]`` and ``[[:alnum:]]``."""
    if not folded or folded.isascii():
        return True
    return all(unicodedata.category(c) in SAFE_CATEGORIES for c in set(folded) if not c.isascii())


def field_tokens(folded: str | None, words: list[str] | None = None) -> list[str]:
    """The tokens of ``to_tsvector('simple', baotinh_words(f))`` for a folded field, in order
    (a token over 2,047 bytes is skipped and takes no position). ``words``: the field's
    ``folded_words``, when the caller has them already."""
    if not folded:
        return []
    tokens = folded_words(folded) if words is None else words
    if tokens and max(map(len, tokens)) * 4 > MAX_TOKEN_BYTES:
        tokens = [t for t in tokens if len(t.encode("utf-8")) <= MAX_TOKEN_BYTES]
    return tokens


# The text of every position made so far, per (form, weight mark); grown on demand.
_POSITIONS: dict[tuple[str, str], tuple[str, ...]] = {}


def _position_texts(form: str, mark: str, upto: int) -> tuple[str, ...]:
    """Positions 0 … ``upto`` (at least) in the text form, made once: ``form`` "':{}{}" gives
    "':1A", "':2A" … (a lexeme's first position), ",{}{}" gives ",1A", ",2A" … (the others).

    Grown as longer articles come (doubling), never made whole up front: the 131,000 strings
    of every position cost a short run (a benchmark, a CLI import) ~45 ms. A new tuple replaces
    the old one, so a thread reading meanwhile always sees whole, correct positions.
    """
    texts = _POSITIONS.get((form, mark), ())
    if len(texts) <= upto:
        size = min(MAX_POS + 1, max(upto + 1, 2 * len(texts), 1024))
        texts = texts + tuple(form.format(i, mark) for i in range(len(texts), size))
        _POSITIONS[form, mark] = texts
    return texts


def tsvector_literal(fields: tuple[str | None, ...], *, text_words: list[str] | None = None) -> str | None:
    """The text form of the weighted, concatenated vector of the folded ``fields`` (title first).

    ``||`` shifts a field's positions by the last position of the fields before it, so one
    count runs through the fields. ``None`` when the vector reaches PostgreSQL's limits (a
    lexeme with 255 positions or more, a position of 16,383: the text form cannot say what
    ``||`` made of them) or a field holds a character whose class the server's locale may see
    otherwise: such a rare article is left to the server (the table's trigger folds it in
    SQL). ``text_words``: ``folded_words`` of the text (the third field), when known.

    Each lexeme is written once with all its positions, in the order it first occurs (the
    server's input function sorts the lexemes, as cheaply as Python would). One dict pass
    grows, for each lexeme, the text of its entry ("kim':1A", then "kim':1A,7C"); one ``join``
    makes the rest. Strings, not a list per lexeme: a dict of strings is no work for the
    garbage collector, where 370 lists an article set off young collections (the store on
    PostgreSQL: 110 per 1,000 rows with lists, 77 now; 58 on SQLite). A form with one entry
    per token, which the server merges too, is cheaper here but twice as costly to parse
    (0.37 ms against 0.16 ms an article of 1,000 words).
    """
    if not all(_agreed(f) for f in fields):
        return None
    tokens: list[str] = []
    firsts: list[str] = []
    others: list[str] = []
    for index, (folded, weight) in enumerate(zip(fields, WEIGHTS, strict=False)):
        words = field_tokens(folded, text_words if index == 2 else None)
        if not words:
            continue
        start = len(tokens)
        if start + len(words) >= MAX_POS:
            return None
        mark = "" if weight == "D" else weight
        tokens += words
        end = start + 1 + len(words)
        firsts += _position_texts("':{}{}", mark, end)[start + 1:end]
        others += _position_texts(",{}{}", mark, end)[start + 1:end]
    merged: dict[str, str] = {}
    get = merged.get
    for token, first, other in zip(tokens, firsts, others, strict=True):
        kept = get(token)
        merged[token] = token + first if kept is None else kept + other
    if not merged:
        return ""
    entries = merged.values()
    # A position takes two characters at least: only a long entry can hold 255 of them.
    longest = max(map(len, entries))
    if longest >= 2 * (MAX_POSITIONS - 1) and max(e.count(",") for e in entries) + 1 >= MAX_POSITIONS - 1:
        return None
    # Letters and digits only: no quote or backslash to escape.
    return "'" + " '".join(entries)
