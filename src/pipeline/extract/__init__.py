"""Extraction: one HTML page in, one ArticleRecord out (body, metadata, dates, byline, captions); the golden-set evaluation."""
