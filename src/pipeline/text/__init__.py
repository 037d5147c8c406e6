"""Text: pure functions over strings and bytes; imports nothing above it.

``normalise`` (Vietnamese text repair: mojibake, NFC, Đ, tone placement, whitespace, word count,
digest), ``urls`` (canonical URLs), ``charset`` (decoding HTML bytes, cp1258 included),
``fold`` (search folding), ``dates`` (Vietnamese dates, ``VN_TZ``), ``simhash`` (near copies).
"""
