"""``baotinh crawl --urls FILE`` without a crawl: the list's reading, the request's field, and
how the listed pages are shared among the sites that own them (issue 17, item 4).

The crawl itself (exactly the listed pages fetched, through the crawler child) is in
``tests/test_import_warc.py``, which shares its served paper.
"""

from __future__ import annotations

import pytest

from crawler.launch import page_groups, spider_arguments
from pipeline.crawling.launch import validate_request
from pipeline.crawling.protocol import CrawlRequest
from pipeline.crawling.urllist import read_url_list
from pipeline.errors import InputError
from pipeline.registry.load import load_registry

REGISTRY = load_registry()


def test_the_list_takes_comments_blank_lines_and_repeats() -> None:
    text = "# the list\n\nhttp://demo.baotinh.test/a-1.html   # first\n  http://x.example/b  \n" \
           "http://demo.baotinh.test/a-1.html\n"
    assert read_url_list(text) == ("http://demo.baotinh.test/a-1.html", "http://x.example/b")


@pytest.mark.parametrize(("text", "message"), [
    ("# nothing\n\n", "list.txt: no URL in the list"),
    ("http://ok.example/\nftp://x.example/f\n", "list.txt:2: not an http(s) URL: 'ftp://x.example/f'"),
    ("http://[::1\n", "list.txt:1: not an http(s) URL"),
])
def test_a_bad_list_is_one_line_naming_the_line(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        read_url_list(text, source="list.txt")


def test_the_pages_travel_in_the_request() -> None:
    request = CrawlRequest(pages=("http://demo.baotinh.test/a-1.html",), delay=0.5)
    assert CrawlRequest.from_json(request.to_json()) == request


def test_pages_go_to_the_site_owning_their_host_legacy_domains_included() -> None:
    request = CrawlRequest(pages=(
        "http://demo.baotinh.test/xa-hoi/a-1.html", "http://demo-cu.baotinh.test/xa-hoi/b-2.html",
        "https://unknown.example/tin/c-3.html", "https://www.baohaiduong.vn/chinh-tri/d-4.html",
        "https://unknown.example/tin/e-5.html",
    ))
    assert page_groups(request, REGISTRY) == [
        {"site": "demo", "pages": "http://demo.baotinh.test/xa-hoi/a-1.html\n"
                                  "http://demo-cu.baotinh.test/xa-hoi/b-2.html"},
        {"url": "https://unknown.example/", "pages": "https://unknown.example/tin/c-3.html\n"
                                                     "https://unknown.example/tin/e-5.html"},
        {"site": "baohaiduong", "pages": "https://www.baohaiduong.vn/chinh-tri/d-4.html"},
    ]


def test_a_mirrors_pages_belong_to_its_one_site() -> None:
    request = CrawlRequest(sites=("demo",), origin="http://127.0.0.1:8123", max_pages=5,
                           pages=("http://127.0.0.1:8123/xa-hoi/a-1.html", "http://127.0.0.1:9999/x"))
    assert spider_arguments(request, REGISTRY) == [
        {"site": "demo", "origin": "http://127.0.0.1:8123", "pages": "http://127.0.0.1:8123/xa-hoi/a-1.html",
         "max_pages": 5, "since": None, "refresh": ""},
        {"url": "http://127.0.0.1:9999/", "pages": "http://127.0.0.1:9999/x", "max_pages": 5, "since": None,
         "refresh": ""},
    ]


@pytest.mark.parametrize("request_", [
    CrawlRequest(sites=("demo",), pages=("http://demo.baotinh.test/a-1.html",)),
    CrawlRequest(urls=("http://x.example/",), pages=("http://demo.baotinh.test/a-1.html",)),
    CrawlRequest(pages=("mailto:x@example.org",)),
], ids=["site-without-origin", "with-url", "not-http"])
def test_a_url_list_with_a_site_or_a_bad_url_is_refused(request_: CrawlRequest) -> None:
    with pytest.raises(InputError):
        validate_request(request_, REGISTRY)
