"""One config-driven spider: :class:`crawler.spiders.news.NewsSpider`."""
