"""Where things are on Vietnamese news pages: the CMS class and id names and the XPath lookups
built from them (data apart from the logic, as trafilatura does).

>>> "detail-content" in GENERIC_BODY.words and BOILERPLATE.otherwise == BOILERPLATE_TAGS_XPATH
True
"""

from __future__ import annotations

from pipeline.extract.selectors import ClassedXPath, any_class

__all__ = [
    "BLOCK_TAGS",
    "BOILERPLATE",
    "BOILERPLATE_XPATH",
    "BYLINE",
    "CAPTION",
    "CAPTION_XPATH",
    "CONTAINER_REMOVALS",
    "DATE",
    "GENERIC_BODY",
    "JUNK_XPATH",
    "LEAD",
    "SECTION",
    "TAGS",
]

# Boilerplate inside or around article bodies on Vietnamese news CMSs.
BOILERPLATE_WORDS = (
    "related", "lien-quan", "lienquan", "xem-them", "xemthem", "social", "share", "comment",
    "binh-luan", "binhluan", "other-news", "othernews", "tin-khac", "breadcrumb", "tags",
    "tag-detail", "box-most", "banner", "quang-cao", "advert", "author-wrap", "sidebar", "author-bio",
    "author-profile", "about-author", "most-read", "mostread", "read-time",
)
BOILERPLATE_TAGS_XPATH = "//footer | //nav | //aside | //form"
BOILERPLATE_XPATH = (
    f"//*[self::div or self::ul or self::section or self::aside or self::nav or self::footer]"
    f"[{any_class(BOILERPLATE_WORDS)}] | {BOILERPLATE_TAGS_XPATH}"
)
CAPTION_WORDS = ("caption", "Caption", "chu-thich", "image-desc")
FIGCAPTION_XPATH = "//figcaption"
CAPTION_XPATH = (
    f"{FIGCAPTION_XPATH} | //*[self::p or self::td or self::div or self::span or self::em or self::table]"
    f"[{any_class(CAPTION_WORDS)}]"
)
LEAD_WORDS = ("sapo", "lead", "summary", "chapeau", "description")
# Not a lead though the class says "lead" or "description": an author's box ("author-description"),
# an advert ("adLeaderboard"), a video player or its dialog, a teaser or promo of another story
# (or one inside a link), a lead image or video ("lead-asset", "leadMediaRegion").
NOT_LEAD_WORDS = ("author", "bio", "eaderboard", "dialog", "teaser", "promo", "lead-asset", "Media", "video")
NOT_LEAD_AROUND = ("bio", "dialog", "teaser", "promo")
LEAD_XPATH = (
    f"//*[self::div or self::h2 or self::p or self::h3][{any_class(LEAD_WORDS)}]"
    f"[not({any_class(NOT_LEAD_WORDS)})][not(ancestor::a or ancestor::*[{any_class(NOT_LEAD_AROUND)}])]"
)
# Camel-case names as spelt ("spanTime", "pDateTime": old VnExpress family pages).
DATE_WORDS = ("date", "time", "ngay", "publish", "posted", "meta", "Time", "Date")
DATE_XPATH = (
    f".//*[self::div or self::span or self::p or self::time or self::li or self::small]"
    f"[{any_class(DATE_WORDS)}]"
)
SECTION_WORDS = ("breadcrumb", "crumb")
SECTION_XPATH = f"//*[{any_class(SECTION_WORDS)}]//a"
TAG_WORDS = ("tags", "tag-detail", "keyword")
TAGS_XPATH = f"//*[{any_class(TAG_WORDS)}]//a"
BLOCK_TAGS = ("p", "h2", "h3", "h4", "h5", "li", "blockquote", "pre")

# Body containers of the provincial CMS families and of the big national papers, tried when the
# site's own hint is absent or misses (before trafilatura): trafilatura reads the table layouts
# of the older CMSs (#dcontent) poorly. The registry's family hints take precedence.
GENERIC_BODY_CLASSES = (
    "detail-content", "b-maincontent", "content-detail", "article__body", "entry-content",
    "c-content", "singular-content", "e-magazine__body", "fck_detail", "article-content",
    "news-content",
)
GENERIC_BODY_IDS = ("dcontent", "newscontents")
GENERIC_BODY_XPATH = (
    "//*[self::div or self::article or self::section]["
    + " or ".join(f"@id='{i}'" for i in GENERIC_BODY_IDS) + " or "
    + " or ".join(f"contains(@class, '{c}')" for c in GENERIC_BODY_CLASSES) + "]"
)
BYLINE_WORDS = ("author", "tac-gia", "tacgia", "byline")
# A right-aligned paragraph, or a div of text only whose style says so ("TEXT-ALIGN: right": old GenK).
RIGHT_ALIGNED_XPATH = (
    "//p[contains(translate(@style, 'RIGHT', 'right'), 'right') or @align='right']"
    " | //div[not(.//div or .//p)][@align='right' or contains(translate(@style, "
    "'ABCDEFGHIJKLMNOPQRSTUVWXYZ ', 'abcdefghijklmnopqrstuvwxyz'), 'text-align:right')]"
)
BYLINE_XPATH = f"//*[self::p or self::div or self::span][{any_class(BYLINE_WORDS)}] | {RIGHT_ALIGNED_XPATH}"

BOILERPLATE = ClassedXPath(BOILERPLATE_XPATH, BOILERPLATE_WORDS, BOILERPLATE_TAGS_XPATH)
CAPTION = ClassedXPath(CAPTION_XPATH, CAPTION_WORDS, FIGCAPTION_XPATH)
LEAD = ClassedXPath(LEAD_XPATH, LEAD_WORDS)
DATE = ClassedXPath(DATE_XPATH, DATE_WORDS)
SECTION = ClassedXPath(SECTION_XPATH, SECTION_WORDS)
TAGS = ClassedXPath(TAGS_XPATH, TAG_WORDS)
# An @id equal to a name contains it, so the ids count as words too.
GENERIC_BODY = ClassedXPath(GENERIC_BODY_XPATH, GENERIC_BODY_IDS + GENERIC_BODY_CLASSES)
BYLINE = ClassedXPath(BYLINE_XPATH, BYLINE_WORDS, RIGHT_ALIGNED_XPATH)
# The two removals made inside a body container, before the hint's own.
CONTAINER_REMOVALS = (BOILERPLATE.scoped(), CAPTION.scoped())
JUNK_XPATH = "//script[not(@type='application/ld+json')] | //style | //noscript"
