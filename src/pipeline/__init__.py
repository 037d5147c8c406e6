"""baotinh: the archive of Vietnam's provincial press (the library, usable without Scrapy)."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
