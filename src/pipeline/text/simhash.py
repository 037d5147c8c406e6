"""SimHash of a text: the 64-bit fingerprint near-duplicate detection compares.

Pure functions, no database: the extraction workers compute each article's hash with them (they
must not import the archive's SQL layer), :mod:`pipeline.archive.dedup` stores and compares the hashes.

The text is folded (lower case, no tones, đ→d), cut into word 3-shingles, each shingle hashed to
64 bits, and each bit of the SimHash is the majority vote of that bit over the shingles' hashes.
Two copies of one story differ in a few bits; :data:`MAX_DISTANCE` is the limit.

>>> simhash_text("một hai ba bốn năm sáu bảy tám chín mười " * 3) is not None
True
"""

from __future__ import annotations

import struct
import zlib

from pipeline.text.fold import fold_tokens, folded_words

__all__ = [
    "BANDS",
    "BAND_WIDTHS",
    "MAX_DISTANCE",
    "MIN_SHINGLES",
    "band_keys",
    "hamming",
    "shingle_hashes",
    "simhash_text",
    "to_signed",
    "to_unsigned",
]

# Band widths (sum 64): BANDS = MAX_DISTANCE + 1 makes the band lookup exact (pigeonhole).
BAND_WIDTHS = (11, 11, 11, 11, 10, 10)
BANDS = len(BAND_WIDTHS)
MAX_DISTANCE = BANDS - 1
SHINGLE = 3
# Below this many shingles a text is too short to call two articles one story.
MIN_SHINGLES = 20
_MASK64 = (1 << 64) - 1


def shingle_hashes(text: str, *, folded: str | None = None, tokens: list[str] | None = None) -> list[int]:
    """64-bit hashes of the word 3-shingles of the folded text (``folded``: ``fold(text)``, if known;
    ``tokens``: its words, ``fold.folded_words(folded)``, if known)."""
    if tokens is None:
        tokens = fold_tokens(text) if folded is None else folded_words(folded)
    # Two CRC-32s with different seeds make a stable 64-bit hash at a fraction of blake2b's cost
    # (Python's hash() is salted per process, so it cannot be stored).
    crc = zlib.crc32
    shingles = [f"{a} {b} {c}".encode() for a, b, c in zip(tokens, tokens[1:], tokens[2:], strict=False)]
    return [crc(data) << 32 | crc(data, _SEED) for data in shingles]


_SEED = 0x9E3779B9
# For bit k of a byte: the byte values whose bit k is 0 (deleted, so what remains are the ones).
_ZERO_AT = tuple(bytes(b for b in range(256) if not (b >> k) & 1) for k in range(8))


def simhash_text(text: str, *, folded: str | None = None, tokens: list[str] | None = None) -> int | None:
    """The 64-bit SimHash (unsigned) of a text, or None when it is too short to compare
    (``folded``, ``tokens``: see :func:`shingle_hashes`)."""
    hashes = set(shingle_hashes(text, folded=folded, tokens=tokens))
    if len(hashes) < MIN_SHINGLES:
        return None
    # Per-bit votes counted column-wise in C: the hashes packed big-endian, every 8th byte sliced
    # out (one byte column), and the bytes without bit k deleted; what is left is the vote.
    packed = struct.pack(f">{len(hashes)}Q", *hashes)
    half = len(hashes) / 2
    value = 0
    for byte in range(8):  # byte 0 holds bits 63..56
        column = packed[byte::8]
        for bit in range(8):
            if len(column.translate(None, _ZERO_AT[bit])) > half:
                value |= 1 << (8 * (7 - byte) + bit)
    return value


def hamming(a: int, b: int) -> int:
    """Number of differing bits of two 64-bit hashes."""
    return ((a ^ b) & _MASK64).bit_count()


def to_signed(value: int) -> int:
    """The unsigned 64-bit hash as a signed BIGINT (what SQL integers hold)."""
    return value - (1 << 64) if value >= 1 << 63 else value


def to_unsigned(value: int) -> int:
    return value & _MASK64


def band_keys(value: int) -> list[tuple[int, int]]:
    """``(band, key)`` pairs of a hash: six slices of 10–11 bits."""
    out, shift = [], 0
    for band, width in enumerate(BAND_WIDTHS):
        out.append((band, (value >> shift) & ((1 << width) - 1)))
        shift += width
    return out
