"""The generic path's metadata on CMSs the registry does not know (issue 13): the headline, the
date line and byline beside the title or at the end of the body, captions by shape, and dates
to the second. Each page is small, written in the shapes real Vietnamese papers print."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from pipeline.extract import extract_article
from pipeline.extract.byline import Byline, parse_byline
from pipeline.record import ArticleRecord

VN = timezone(timedelta(hours=7))
URL = "https://baocantho.com.vn/tin-moi-a12345.html"
SENTENCE = "Người dân thành phố Cần Thơ tham gia trồng cây xanh dọc bờ kè sông Hậu trong sáng nay. "
BODY = "".join(f"<p>{SENTENCE * 3}</p>" for _ in range(4))
HEADLINE = "Cần Thơ trồng mới hai nghìn cây xanh dọc bờ kè sông Hậu"


def page(head: str = "", top: str = "", body: str = BODY, heading: str = HEADLINE) -> str:
    """An article page of an unknown CMS: a section heading, the headline, a date area, a body."""
    return (
        f'<html lang="vi"><head><meta charset="utf-8">{head}</head><body>'
        '<div class="top"><h1 class="cat-name">THỜI SỰ &gt; Cần Thơ</h1></div>'
        f'<div class="post"><h2 class="post-heading">{heading}</h2>{top}'
        f'<div class="noidung">{body}</div></div></body></html>'
    )


def extract(html: str, url: str = URL) -> ArticleRecord:
    return extract_article(html, url, fetched_at=datetime(2026, 3, 8, tzinfo=VN))


def test_headline_agrees_with_og_title_and_drops_the_site_suffix() -> None:
    head = f'<meta property="og:title" content="{HEADLINE} - Báo Cần Thơ">'
    assert extract(page(head)).title == HEADLINE


def test_headline_agrees_with_json_ld_in_another_case() -> None:
    head = ('<script type="application/ld+json">{"@type": "NewsArticle", "headline": '
            f'"{HEADLINE.upper()}"}}</script>')
    assert extract(page(head)).title == HEADLINE


def test_headline_without_head_is_never_the_section_heading() -> None:
    assert extract(page()).title == HEADLINE


def test_og_title_with_a_site_suffix_and_no_heading() -> None:
    head = f'<meta property="og:title" content="{HEADLINE} | baocantho.com.vn">'
    assert extract(page(head, heading="")).title == HEADLINE


def test_byline_and_date_line_beside_the_title() -> None:
    record = extract(page(top="<div><span>Nguyên Minh - 07/03/2026 08:47</span></div>"))
    assert record.author == "Nguyên Minh"
    assert record.published_at == datetime(2026, 3, 7, 8, 47, tzinfo=VN)
    assert record.date_source == "visible"
    assert "Nguyên Minh" not in record.text and "08:47" not in record.text


@pytest.mark.parametrize(
    "line",
    ["Thứ bảy, 07/03/2026 - 08:47 (GMT+7)", "07/03/2026 | 08:47", "Cập nhật: 08:47 07/03/2026"],
)
def test_date_line_shapes_under_the_title(line: str) -> None:
    record = extract(page(top=f"<p>{line}</p>"))
    assert record.published_at == datetime(2026, 3, 7, 8, 47, tzinfo=VN)
    assert line not in record.text


def test_a_sentence_with_a_date_under_the_title_stays_in_the_text() -> None:
    sentence = "Sáng 07/03/2026 lúc 08:47, hàng trăm người dân đã có mặt ở bờ kè để trồng cây."
    record = extract(page(top=f"<p>{sentence}</p>"))
    assert sentence in record.text


def test_visible_minute_takes_the_seconds_of_the_meta() -> None:
    head = '<meta property="article:published_time" content="2026-03-07">'
    head += '<meta property="article:modified_time" content="2026-03-07T08:47:53+07:00">'
    record = extract(page(head, top="<p>07/03/2026 08:47</p>"))
    assert record.published_at == datetime(2026, 3, 7, 8, 47, 53, tzinfo=VN)
    assert record.date_source == "visible+meta"


def test_visible_minute_of_another_minute_keeps_its_own_time() -> None:
    head = '<meta property="article:published_time" content="2026-03-07">'
    head += '<meta property="article:modified_time" content="2026-03-07T10:02:53+07:00">'
    record = extract(page(head, top="<p>07/03/2026 08:47</p>"))
    assert record.published_at == datetime(2026, 3, 7, 8, 47, tzinfo=VN)
    assert record.date_source == "visible"


def test_microdata_date_outside_a_meta_tag() -> None:
    top = '<span itemprop="datePublished" content="2026-03-07T08:47:53+07:00">07/03/2026</span>'
    record = extract(page(top=top))
    assert record.published_at == datetime(2026, 3, 7, 8, 47, 53, tzinfo=VN)


def test_theo_a_person_is_the_author_and_the_outlet_the_agency() -> None:
    body = BODY + '<p>Theo <strong>Thanh Xuân</strong></p><p style="text-align: right"><em>VnEconomy</em></p>'
    record = extract(page(body=body))
    assert (record.author, record.source_agency) == ("Thanh Xuân", "VnEconomy")
    assert record.text.endswith("sáng nay.")


def test_site_name_in_meta_author_is_never_the_author() -> None:
    head = '<meta name="author" content="Cần Thơ">'
    record = extract(page(head), "https://baocantho.vn/a-1.html")
    assert record.author is None
    record = extract(page('<meta name="author" content="Dân Trí">'), "https://dantri.com.vn/a-1.htm")
    assert record.author is None


def test_byline_under_the_title_with_its_role() -> None:
    record = extract(page(top="<p>Tin, ảnh: Minh Tuấn</p>"))
    assert record.author == "Minh Tuấn"
    assert "Minh Tuấn" not in record.text


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Theo Thanh Xuân", Byline("Thanh Xuân", None)),
        ("Theo Tuổi Trẻ", Byline(None, "Tuổi Trẻ")),
        ("Theo Báo Quân đội nhân dân", Byline(None, "Báo Quân đội nhân dân")),
        ("Theo Reuters", Byline(None, "Reuters")),
        ("Bài và ảnh: Hoàng Yến", Byline("Hoàng Yến", None)),
        ("Tin, ảnh: Minh Tuấn", Byline("Minh Tuấn", None)),
        ("Minh Anh (tổng hợp)", Byline("Minh Anh", None)),
        ("Hà Linh - Quang Minh", Byline("Hà Linh - Quang Minh", None)),
        ("Hà Linh, Quang Minh", Byline("Hà Linh, Quang Minh", None)),
        ("Nguyên Minh - 07/03/2026 08:47", Byline("Nguyên Minh", None)),
        ("VnEconomy", Byline(None, "VnEconomy")),
        ("Hà Nội, ngày 12/3/2024", None),
        ("Báo Cần Thơ", None),
    ],
)
def test_byline_shapes(line: str, expected: Byline | None) -> None:
    assert parse_byline(line) == expected


def test_byline_with_date_at_the_end_of_the_body() -> None:
    record = extract(page(body=BODY + "<p>Nguyên Minh - 07/03/2026 08:47</p>"))
    assert record.author == "Nguyên Minh"
    assert "Nguyên Minh" not in record.text


CAPTION = "Đoàn viên thanh niên trồng cây dọc bờ kè sông Hậu"


@pytest.mark.parametrize(
    "figure",
    [
        f'<p style="text-align:center"><img src="/a.jpg"></p><p style="text-align:center">{CAPTION}</p>',
        f'<p><img src="/a.jpg"></p><p><em>{CAPTION}</em></p>',
        f'<p style="text-align:center"><img src="/a.jpg"><br><em>{CAPTION}</em></p>',
        f'<table><tr><td><img src="/a.jpg"></td></tr><tr><td>{CAPTION}</td></tr></table>',
        f'<figure><img src="/a.jpg"><figcaption>{CAPTION}</figcaption></figure>',
    ],
)
def test_captions_by_shape_leave_the_text(figure: str) -> None:
    record = extract(page(body=f"<p>{SENTENCE * 3}</p>{figure}{BODY}"))
    assert CAPTION in record.captions
    assert CAPTION not in record.text
    assert any(i.url.endswith("/a.jpg") and i.caption == CAPTION for i in record.images)


def test_photo_credit_line_under_an_image_is_a_caption() -> None:
    figure = f'<p><img src="/a.jpg"></p><p>Ảnh: {CAPTION}</p>'
    record = extract(page(body=f"<p>{SENTENCE * 3}</p>{figure}{BODY}"))
    assert CAPTION not in record.text


def test_an_italic_sentence_away_from_images_stays_in_the_text() -> None:
    quote = "Trồng cây hôm nay là giữ bờ sông cho con cháu mai sau."
    record = extract(page(body=f"{BODY}<p><em>{quote}</em></p>{BODY}"))
    assert quote in record.text


def test_date_of_the_byline_at_the_end_of_the_body() -> None:
    record = extract(page(body=BODY + "<p>Nguyên Minh - 07/03/2026 08:47</p>"))
    assert record.published_at == datetime(2026, 3, 7, 8, 47, tzinfo=VN)


def test_credit_under_the_title_beside_a_classed_date() -> None:
    top = '<div class="post-date">07/03/2026 08:47</div><p>Bài và ảnh: Hoàng Yến</p>'
    record = extract(page(top=top))
    assert record.author == "Hoàng Yến"
    assert "Hoàng Yến" not in record.text


def test_author_above_a_theo_agency_line_keeps_the_agency() -> None:
    record = extract(page(body=BODY + "<p>Theo TTXVN</p><p>Thu Hà</p>"))
    assert (record.author, record.source_agency) == ("Thu Hà", "TTXVN")
    assert "TTXVN" not in record.text


def test_agency_as_the_meta_author_is_the_source_agency() -> None:
    record = extract(page('<meta name="author" content="TTXVN">'))
    assert (record.author, record.source_agency) == (None, "TTXVN")
    record = extract(page('<meta name="author" content="Dân Trí">'), "https://dantri.com.vn/a-1.htm")
    assert (record.author, record.source_agency) == (None, None)


@pytest.mark.parametrize(("line", "expected"), [
    # Later than the head's last edit: the release of a story written the day before (24h).
    ("Thứ Bảy, 07/03/2026, 03:04 AM (GMT+7)", datetime(2026, 3, 7, 3, 4, tzinfo=VN)),
    # Between the head's publication and its last edit: the head's publication stands.
    ("06/03/2026 14:30", datetime(2026, 3, 6, 14, 2, tzinfo=VN)),
])
def test_a_date_line_later_than_the_heads_last_edit_is_the_release(line: str, expected: datetime) -> None:
    head = '<meta name="pubdate" content="2026-03-06T14:02+07:00">'
    head += '<meta name="lastmod" content="2026-03-06T15:31+07:00">'
    assert extract(page(head, top=f'<div class="publication_date">{line}</div>')).published_at == expected


def test_bullet_lead_in_a_div_and_a_right_aligned_source_byline() -> None:
    bullets = ["- Cần Thơ trồng mới hai nghìn cây xanh.", "- Người dân tham gia từ sáng sớm.",
               "- Bờ kè sông Hậu sẽ có thêm bóng mát."]
    body = (f'<div class="init_content">{"<br/>".join(bullets)}</div>' + BODY
            + '<div style="TEXT-ALIGN: right"><i>Theo Minh Nguyễn/Vcamp.vn</i></div>'
            + '<div style="TEXT-ALIGN: right"><i>Forbes</i></div>')
    record = extract(page(f'<meta name="description" content="{HEADLINE}">', body=body))
    assert record.description == "\n".join(bullets)
    assert record.text.startswith("\n".join(bullets) + "\n" + SENTENCE.strip())
    assert (record.author, record.source_agency) == ("Minh Nguyễn", "Vcamp.vn")
    assert "Forbes" not in record.text and "Theo Minh" not in record.text
