"""The Scrapy project of baotinh: fetching and link discovery only.

Every fetched article page is handed to :mod:`pipeline` (extraction, normalisation, archive).
"""
