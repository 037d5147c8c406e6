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

import re
import unicodedata
from functools import cache

__all__ = ["field_tokens", "tsvector_literal"]

MAX_TOKEN_BYTES = 2047
MAX_POS = 16383
MAX_POSITIONS = 256  # PostgreSQL's MAXNUMPOS: a lexeme keeps MAX_POSITIONS - 1 of them
WEIGHTS = ("A", "B", "C", "D")

# Non-ASCII characters whose class (letter, or not a word character at all) Python and the
# server's C.UTF-8 locale agree on; any other (digits beyond 0-9, ½, marks, symbols) sends the
# article to the server's own parser.
SAFE_CATEGORIES = frozenset({"Ll", "Lu", "Lt", "Lo", "Zs", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po"})
# Runs of letters and digits, ``[[:alnum:]]+`` (``\\w`` is ``str.isalnum`` plus ``_``).
_ALNUM_RUN = re.compile(r"[^\W_]+")
# ASCII: every byte that is not a letter or digit made a space.
_ASCII_SPACES = bytes(c if chr(c).isalnum() else 32 for c in range(256))


def _agreed(folded: str | None) -> bool:
    """True when every character of ``folded`` is read alike by ``[^\\W_]`` and ``[[:alnum:]]``."""
    if not folded or folded.isascii():
        return True
    return all(unicodedata.category(c) in SAFE_CATEGORIES for c in set(folded) if not c.isascii())


def field_tokens(folded: str | None) -> list[str]:
    """The tokens of ``to_tsvector('simple', baotinh_words(f))`` for a folded field, in order
    (a token over 2,047 bytes is skipped and takes no position)."""
    if not folded:
        return []
    if folded.isascii():  # the common case: bytes.translate and split, several times faster
        tokens = folded.encode("ascii").translate(_ASCII_SPACES).decode("ascii").split()
    else:
        tokens = _ALNUM_RUN.findall(folded)
    if tokens and max(map(len, tokens)) * 4 > MAX_TOKEN_BYTES:
        tokens = [t for t in tokens if len(t.encode("utf-8")) <= MAX_TOKEN_BYTES]
    return tokens


@cache
def _position_texts(mark: str) -> tuple[str, ...]:
    """"1A", "2A" … for one weight's mark, made once."""
    return tuple(f"{i}{mark}" for i in range(MAX_POS + 1))


def tsvector_literal(fields: tuple[str | None, ...]) -> str | None:
    """The text form of the weighted, concatenated vector of the folded ``fields`` (title first).

    ``||`` shifts a field's positions by the last position of the fields before it, so one
    count runs through the fields. ``None`` when the vector reaches PostgreSQL's limits (a
    lexeme with 255 positions or more, a position of 16,383: the text form cannot say what
    ``||`` made of them) or a field holds a character whose class the server's locale may see
    otherwise: such a rare article is left to the server (the table's trigger folds it in
    SQL). Lexemes are sorted by code point, which is their UTF-8 byte order.
    """
    if not all(_agreed(f) for f in fields):
        return None
    merged: dict[str, list[str]] = {}
    pos = 0
    for folded, weight in zip(fields, WEIGHTS, strict=False):
        tokens = field_tokens(folded)
        if pos + len(tokens) >= MAX_POS:
            return None
        texts = _position_texts("" if weight == "D" else weight)
        for token in tokens:
            pos += 1
            kept = merged.get(token)
            if kept is None:
                merged[token] = [texts[pos]]
            else:
                kept.append(texts[pos])
    if merged and max(map(len, merged.values())) >= MAX_POSITIONS - 1:
        return None
    # Letters and digits only: no quote or backslash to escape.
    return " ".join([f"'{word}':{','.join(merged[word])}" for word in sorted(merged)])
