"""Extraction: one HTML page in, one ArticleRecord out (body, metadata, dates, byline, captions); the golden-set
evaluation.

Modules, low to high: ``selectors`` (XPath, CSS hints) < ``markup`` (CMS class names) <
``page`` (decode, parse), ``jsonld`` < ``pubdate``, ``captions``, ``byline``, ``urls`` <
``metadata``, ``body`` < ``core`` (:func:`extract_article`) < ``evaluate`` (golden set).
"""

from __future__ import annotations

from pipeline.extract.core import EXTRACTOR_VERSION, extract_article

__all__ = ["EXTRACTOR_VERSION", "extract_article"]
