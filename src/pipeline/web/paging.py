"""Numbered paging for the search page: ``‹ 1 2 3 … 17 ›``.

A pure function of the current page and the number of pages: the first and last pages, a few
around the current one, and a gap ("…") wherever numbers are left out.
"""

from __future__ import annotations

__all__ = ["page_numbers"]


def page_numbers(current: int, pages: int, *, around: int = 2) -> list[int | None]:
    """The page numbers to show, ``None`` for a gap.

    >>> page_numbers(1, 17)
    [1, 2, 3, None, 17]
    >>> page_numbers(9, 17)
    [1, None, 7, 8, 9, 10, 11, None, 17]
    >>> page_numbers(2, 4)
    [1, 2, 3, 4]
    """
    if pages <= 1:
        return [1] if pages == 1 else []
    current = min(max(current, 1), pages)
    shown = {1, pages, *range(max(1, current - around), min(pages, current + around) + 1)}
    out: list[int | None] = []
    previous = 0
    for number in sorted(shown):
        if number - previous == 2:
            out.append(number - 1)  # a gap of one page: show the page instead of "…"
        elif number - previous > 2:
            out.append(None)
        out.append(number)
        previous = number
    return out
