"""Vietnamese words that article extraction looks for, as plain data (no logic, no patterns).

Lower case, NFC, as the papers print them, in both tone placements where a word has two
("từ khóa" / "từ khoá": text is archived as printed, not unified); the extractor compiles its
patterns from these and matches them case-insensitively. The CMS class and id names (``lien-quan``, ``chu-thich``) are
markup, not language: they stay with the XPaths in :mod:`pipeline.extract.markup`.

>>> "xem thêm" in BOILERPLATE_LINE_STARTS and "trang chủ" in HOME_LINK_NAMES
True
"""

from __future__ import annotations

__all__ = [
    "AGENCY_LINE_STARTS",
    "AGENCY_WORDS",
    "AND_WORD",
    "ARTICLE_WORD",
    "ARTICLE_END_HEADERS",
    "ARTICLE_END_PHRASES",
    "BOILERPLATE_LINE_STARTS",
    "LINK_LABELS",
    "READING_TIME_LABELS",
    "BYLINE_ROLES",
    "COMPILED_MARKS",
    "CREDIT_LABELS",
    "HOME_LINK_NAMES",
    "NEWS_WORD",
    "OUTLET_NAMES",
    "OUTLET_STARTS",
    "PAPER_NAME_STARTS",
    "PHOTO_CREDIT_LABELS",
    "PHOTO_WORD",
    "SOURCE_LINE_STARTS",
    "VIETNAMESE_MARKS",
]

# Lines that are never article text when they stand alone at the edge of a body
# ("see also", "related news", "share", "comments", "keywords").
BOILERPLATE_LINE_STARTS = (
    "xem thêm", "tin liên quan", "bài liên quan", "tin cùng chuyên mục", "chia sẻ", "bình luận",
    "ý kiến bạn đọc", "từ khóa", "từ khoá", "tags", "tag", "quay lại", "trở về", "về đầu trang",
    "bài viết khác", "các tin khác",
)
# A line that closes the article: a comment box's notice or the header of a list of other stories
# (what follows it is never the article's).
ARTICLE_END_HEADERS = (
    "tin liên quan", "bài liên quan", "tin cùng chuyên mục", "các tin khác", "tin khác", "bài viết khác",
    "tin tức gần đây", "ý kiến bạn đọc", "gửi ý kiến", "gửi bình luận",
)
ARTICLE_END_PHRASES = ("hoan nghênh ý kiến của bạn đọc", "hoan nghênh ý kiến bạn đọc")
# Labels put before a link to another story ("Xem thêm: …", "Đọc thêm: …"), with the English,
# French, Portuguese and German ones of the pages the generic path also meets.
LINK_LABELS = (
    "xem thêm", "đọc thêm", "tin liên quan", "bài liên quan", "read more", "see more", "read also",
    "also read", "see also", "related", "more", "watch", "lire aussi", "leia também", "leia mais",
    "veja também", "lesen sie auch", "mehr zum thema",
)
# Labels of a reading-time estimate ("Thời gian đọc: 3 phút", "Reading time: 4 min").
READING_TIME_LABELS = (
    "thời gian đọc", "reading time", "read time", "estimated reading time", "tempo de leitura",
    "temps de lecture", "lesezeit", "tiempo de lectura",
)

# Labels of a photo credit line ("Ảnh: Minh Tuấn", "Đồ họa: …").
PHOTO_CREDIT_LABELS = ("ảnh", "ảnh minh họa", "ảnh minh hoạ", "nguồn ảnh", "đồ họa", "đồ hoạ", "video")
# Labels of a credit in brackets at the end of a caption ("… (Ảnh: TTXVN)").
CREDIT_LABELS = ("ảnh", "nguồn")

# Byline roles: "Bài, ảnh: …" (text and photos), "Tin và ảnh: …", "Nhóm PV: …", "Thực hiện: …".
ARTICLE_WORD = "bài"
PHOTO_WORD = "ảnh"
NEWS_WORD = "tin"
AND_WORD = "và"
BYLINE_ROLES = ("nhóm pv", "nhóm phóng viên", "thực hiện", "video", "clip")

# "Theo TTXVN", "(Nguồn: VnEconomy)": the agency a story is taken from.
AGENCY_WORDS = ("theo", "nguồn")
# How a line naming only the agency starts.
AGENCY_LINE_STARTS = ("theo", "nguồn", "(theo", "(nguồn")
# How a source line just above an author line starts ("Theo Thanh Xuân").
SOURCE_LINE_STARTS = ("theo ", "(theo", "nguồn")

# A paper's own name or staff, never an author: "Báo Hải Dương", "Tòa soạn", "Quản trị".
PAPER_NAME_STARTS = (
    "báo", "tạp chí", "đài", "cổng thông tin", "trang thông tin", "ban biên tập", "tòa soạn",
    "toà soạn", "admin", "administrator", "biên tập viên", "quản trị",
)

# Breadcrumb links to the home page, never a section.
HOME_LINK_NAMES = frozenset({"trang chủ", "home", "trang chu"})

# Lower-case letters with marks only Vietnamese uses among the Latin-script languages.
VIETNAMESE_MARKS = "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"

# "Minh Anh (tổng hợp)", "PV (TH)": the author compiled the story from other sources.
COMPILED_MARKS = ("tổng hợp", "th", "t/h", "st", "sưu tầm", "lược dịch", "dịch")

# News outlets and agencies a story is taken from ("Theo Tuổi Trẻ"): a source, never an author,
# though many are spelt like a person's name.
OUTLET_NAMES = frozenset({
    "ttxvn", "vna", "thông tấn xã việt nam", "vov", "vtv", "vtc", "vtc news", "vnexpress",
    "vietnamplus", "vietnam+", "vneconomy", "vietnamnet", "zing", "znews", "tuổi trẻ", "thanh niên",
    "dân trí", "nhân dân", "lao động", "người lao động", "tiền phong", "sài gòn giải phóng", "sggp",
    "hà nội mới", "quân đội nhân dân", "qđnd", "công an nhân dân", "cand", "đại đoàn kết",
    "pháp luật", "kinh tế đô thị", "chính phủ", "chinhphu.vn", "baochinhphu.vn", "cafef", "cafebiz",
    "giáo dục thời đại", "sức khỏe đời sống", "nông nghiệp việt nam", "tin tức", "vnmedia",
    "reuters", "afp", "ap", "bbc", "cnn", "xinhua", "tân hoa xã", "bloomberg", "tass", "sputnik",
    "ria novosti", "yonhap", "kyodo", "al jazeera", "cnbc", "guardian", "the guardian",
})
# How an outlet's or agency's name starts ("Thông tấn xã …", "Hãng tin …", "Kênh …").
OUTLET_STARTS = ("thông tấn", "hãng", "kênh", "tờ", "trang", "cổng", "đài", "tạp chí", "báo", "tập đoàn")
