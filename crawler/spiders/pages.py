"""``baotinh crawl --urls FILE``: exactly the pages listed, no link following.

The news spider with its discovery replaced by the list: robots.txt first (obeyed, as always),
then one request per listed page, each counted ``discovered`` (``url_list``) and ending in one
outcome of the ledger. A listed page is fetched whatever the article pattern says (the user
asked for it; its capture is kept) and whether or not it is due (a known page gets a conditional
GET); a registered site's page that is not one of its article URLs (a listing, the home page) is
then skipped as ``not_article``, and extraction decides for the others. Politeness, captures,
the store and the run's summary are the news spider's own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.spiders.article import article_request
from crawler.spiders.news import NewsSpider
from pipeline.crawling import frontier

__all__ = ["URL_LIST", "PagesSpider"]

URL_LIST = "url_list"  # the ledger's ``discovered`` reason of a listed page


class PagesSpider(NewsSpider):
    """Fetch the pages of ``-a pages=URL\\nURL…`` of one site (``site=ID`` or ``url=URL``)."""

    name = "pages"

    def __init__(self, pages: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pages = tuple(p for p in pages.splitlines() if p.strip())
        self.refresh = True  # a listed page is fetched even when not due (conditionally)

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        # robots.txt is obeyed (the middleware), its sitemaps are not followed
        yield from self._discovery_requests()

    def _discovery_requests(self) -> Iterator[scrapy.Request]:
        for url in self.pages:
            yield from self._page_request(url)

    def _page_request(self, url: str) -> Iterator[scrapy.Request]:
        url = self._route(url)
        if not self._first_time(url):
            return
        self.tally.add("discovered", URL_LIST, url=url)
        known = self.known.get(frontier.url_key(url)) if self.known is not None else None
        decision = frontier.decide_fetch(known, now=self.started_at, refresh=True)
        self.article_requests += 1
        yield article_request(url, URL_LIST, decision, callback=self.parse_article, errback=self.on_error)

    def parse_article(self, response: Response) -> Iterable[Any]:
        redirected = response.request.meta.get("redirect_urls") if response.request else None
        request_url = redirected[0] if redirected else response.url
        if not self.generic and response.status == 200 and not self.site.is_article_url(response.url):
            self.tally.add("fetched", url=request_url)
            self.tally.add("skipped", "not_article", url=request_url)
            return [self._outcome(request_url, response, "not_article")]
        return super().parse_article(response)
