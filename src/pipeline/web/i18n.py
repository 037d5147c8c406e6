"""The web interface's strings, in Vietnamese (the default) and English.

Every string the UI shows lives here; pages ask :func:`translate` for a key. Strings are
plain text: the renderer escapes them like any other value.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "localise_error", "pick_language", "translate"]

DEFAULT_LANGUAGE = "vi"

_VI: dict[str, str] = {
    "app_name": "Báo Tỉnh — lưu trữ báo địa phương",
    "skip_to_content": "Bỏ qua đến nội dung",
    "search_heading": "Tìm kiếm trong lưu trữ",
    "query_label": "Từ khoá",
    "query_placeholder": "ví dụ: kim thành, \"nông thôn mới\", vải -xuất",
    "query_help": "Có dấu hoặc không dấu; \"cụm từ\", OR, -loại trừ, tiền tố*",
    "search_button": "Tìm",
    "filters": "Bộ lọc",
    "site_label": "Báo",
    "province_label": "Tỉnh khi đăng bài (trước 1/7/2025: tỉnh cũ)",
    "any": "Tất cả",
    "date_from_label": "Từ ngày",
    "date_to_label": "Đến ngày",
    "author_label": "Tác giả",
    "section_label": "Chuyên mục",
    "sort_label": "Sắp xếp",
    "sort_relevance": "Liên quan nhất",
    "sort_newest": "Mới nhất",
    "sort_oldest": "Cũ nhất",
    "exclude_duplicates_label": "Bỏ bài trùng lặp",
    "facets": "Thu hẹp kết quả",
    "facet_site": "Theo báo",
    "facet_province": "Theo tỉnh",
    "facet_year": "Theo năm",
    "results": "Kết quả",
    "total": "{total} kết quả",
    "total_estimate": "khoảng {total} kết quả",
    "no_results": "Không tìm thấy bài nào. Hãy thử bớt từ khoá hoặc bộ lọc.",
    "start_hint": "Nhập từ khoá hoặc chọn bộ lọc để tìm bài báo.",
    "pagination": "Phân trang",
    "previous": "← Trang trước",
    "next": "Trang sau →",
    "page_of": "Trang {page} / {pages}",
    "untitled": "(không có tiêu đề)",
    "back_to_search": "← Quay lại tìm kiếm",
    "metadata": "Thông tin bài",
    "site": "Báo",
    "province": "Tỉnh khi đăng bài",
    "author": "Tác giả",
    "source_agency": "Nguồn",
    "section": "Chuyên mục",
    "tags": "Từ khoá bài",
    "published_at": "Đăng lúc",
    "modified_at": "Sửa lúc",
    "date_source": "Nguồn ngày",
    "fetched_at": "Thu thập lúc",
    "extractor_version": "Phiên bản trích xuất",
    "flags": "Cờ",
    "language": "Ngôn ngữ",
    "word_count": "Số từ",
    "lead": "Sapo",
    "text": "Nội dung",
    "no_text": "(bài không có nội dung văn bản)",
    "captions": "Chú thích ảnh",
    "image_link": "ảnh gốc",
    "image_not_shown": "Ảnh không được tải từ trang gốc; mở liên kết để xem.",
    "versions": "Các phiên bản",
    "no_versions": "Chưa có phiên bản cũ.",
    "original_url": "Bài gốc",
    "raw_capture": "Bản lưu gốc (WARC)",
    "links": "Liên kết",
    "not_found": "Không tìm thấy",
    "not_found_text": "Không có trang hay bài báo nào ở địa chỉ này.",
    "bad_request": "Yêu cầu không hợp lệ",
    "server_error": "Lỗi máy chủ",
    "server_error_text": "Đã có lỗi; lỗi đã được ghi lại. Hãy thử lại sau.",
    "method_not_allowed": "Phương thức không được phép",
    "switch_language": "English",
    "language_switch_label": "Ngôn ngữ giao diện",
    "footer": "Chỉ đọc · dữ liệu từ lưu trữ Báo Tỉnh · API: /api/openapi.json",
    "capture_missing": "Không có bản lưu gốc cho bài này.",
    "cite_heading": "Trích dẫn",
    "cite_archived": "Lưu trữ ngày {date}: {url}",
    "cite_copy": "Chép trích dẫn",
    "cite_copied": "Đã chép vào bộ nhớ tạm.",
    "cite_csl": "Tải CSL-JSON",
    "cite_bibtex": "Tải BibTeX",
    "permalink": "Đường dẫn cố định",
    "capture_heading": "Bản lưu",
    "capture_taken": "Lưu lúc",
    "captured_view": "Xem trang như lúc lưu",
    "capture_warc": "Tải bản ghi WARC",
    "capture_permalink": "Đường dẫn bản lưu (theo thời điểm)",
    "captured_title": "Trang như lúc lưu",
    "captured_banner": ("Trang này như máy thu thập nhận được lúc {time}, từ {url}. "
                        "Không chạy mã, không tải gì từ bên ngoài."),
    "back_to_article": "← Về bài",
    "capture_history": "Các lần lưu",
    # -- issue 16: province then and now, browsing, data views, errors in this language ----------
    "province_now_label": "Tỉnh hiện nay (sau sáp nhập 2025)",
    "province_at_label": "Tỉnh khi đăng bài",
    "tag_label": "Từ khoá bài (tag)",
    "province_now": "Tỉnh hiện nay",
    "province_then_now": "{then} (nay thuộc {now})",
    "facet_province_now": "Theo tỉnh hiện nay",
    "facet_month": "Theo tháng",
    "facet_section": "Theo chuyên mục",
    "facet_author": "Theo tác giả",
    "facet_tag": "Theo từ khoá bài",
    "first_page": "« Trang đầu",
    "last_page": "Trang cuối »",
    "page_n": "Trang {page}",
    "data_views": "Dữ liệu",
    "download_results": "Tải toàn bộ kết quả",
    "download_capped": "(tối đa {cap} bài đầu tiên)",
    "date_from_words": "ngày lấy từ {source}",
    "date_agree": "{first}, khớp với {second}",
    "date_src_visible": "dòng ngày của trang",
    "date_src_meta": "siêu dữ liệu của trang",
    "date_src_json-ld": "dữ liệu có cấu trúc (JSON-LD) của trang",
    "date_src_time": "thẻ thời gian (time) của trang",
    "date_src_url": "địa chỉ (URL) của bài",
    "modified_from_words": "ngày sửa lấy từ {source}",
    "error_query": "Không tìm được với yêu cầu này; hãy sửa từ khoá hoặc bộ lọc.",
    "error_query_empty": "Từ khoá «{q}» không có chữ hay số nào để tìm; hãy gõ chữ hoặc số.",
    "error_query_syntax": "Từ khoá chưa đúng cú pháp. Dùng: từ, \"cụm từ\", OR, -loại trừ, tiền tố*.",
    "error_param_int": "Tham số «{name}» phải là số nguyên từ {low} đến {high}.",
    "error_param_date": "Tham số «{name}» phải là ngày dạng NNNN-TT-NN (ví dụ 2019-08-06).",
    "error_param_sort": "Cách sắp xếp không hợp lệ; chọn: {choices}.",
    "error_param_range": "Khoảng ngày trống: «từ ngày» {first} sau «đến ngày» {last}.",
    "error_param_once": "Tham số «{name}» chỉ được cho một lần.",
    "error_param_flag": "Tham số «{name}» phải là 1 hoặc 0.",
}

_EN: dict[str, str] = {
    "app_name": "Báo Tỉnh — archive of the provincial press",
    "skip_to_content": "Skip to content",
    "search_heading": "Search the archive",
    "query_label": "Search words",
    "query_placeholder": "e.g. kim thanh, \"nông thôn mới\", vải -xuất",
    "query_help": "With or without diacritics; \"phrases\", OR, -exclusion, prefix*",
    "search_button": "Search",
    "filters": "Filters",
    "site_label": "Paper",
    "province_label": "Province at publication (before 1 July 2025: the old one)",
    "any": "Any",
    "date_from_label": "From",
    "date_to_label": "To",
    "author_label": "Author",
    "section_label": "Section",
    "sort_label": "Sort by",
    "sort_relevance": "Relevance",
    "sort_newest": "Newest first",
    "sort_oldest": "Oldest first",
    "exclude_duplicates_label": "Hide near-duplicates",
    "facets": "Narrow down",
    "facet_site": "By paper",
    "facet_province": "By province",
    "facet_year": "By year",
    "results": "Results",
    "total": "{total} results",
    "total_estimate": "about {total} results",
    "no_results": "No article found. Try fewer words or filters.",
    "start_hint": "Type some words or choose a filter to find articles.",
    "pagination": "Pages",
    "previous": "← Previous",
    "next": "Next →",
    "page_of": "Page {page} of {pages}",
    "untitled": "(untitled)",
    "back_to_search": "← Back to search",
    "metadata": "About this article",
    "site": "Paper",
    "province": "Province at publication",
    "author": "Author",
    "source_agency": "Source agency",
    "section": "Section",
    "tags": "Tags",
    "published_at": "Published",
    "modified_at": "Modified",
    "date_source": "Dates",
    "fetched_at": "Fetched",
    "extractor_version": "Extractor version",
    "flags": "Flags",
    "language": "Language",
    "word_count": "Words",
    "lead": "Lead",
    "text": "Text",
    "no_text": "(the article has no text)",
    "captions": "Captions",
    "image_link": "original image",
    "image_not_shown": "Images are not loaded from the original site; follow the link to see one.",
    "versions": "Versions",
    "no_versions": "No earlier version.",
    "original_url": "Original article",
    "raw_capture": "Raw capture (WARC)",
    "links": "Links",
    "not_found": "Not found",
    "not_found_text": "There is no page or article at this address.",
    "bad_request": "Bad request",
    "server_error": "Server error",
    "server_error_text": "Something went wrong; it has been logged. Please try again later.",
    "method_not_allowed": "Method not allowed",
    "switch_language": "Tiếng Việt",
    "language_switch_label": "Interface language",
    "footer": "Read-only · data from the Báo Tỉnh archive · API: /api/openapi.json",
    "capture_missing": "This article has no raw capture.",
    "cite_heading": "Cite",
    "cite_archived": "Archived {date}: {url}",
    "cite_copy": "Copy citation",
    "cite_copied": "Copied to the clipboard.",
    "cite_csl": "Download CSL-JSON",
    "cite_bibtex": "Download BibTeX",
    "permalink": "Permalink",
    "capture_heading": "The capture",
    "capture_taken": "Captured",
    "captured_view": "View the page as captured",
    "capture_warc": "Download the WARC record",
    "capture_permalink": "Permalink of this capture (by time)",
    "captured_title": "The page as captured",
    "captured_banner": ("This page as the crawler received it at {time}, from {url}. "
                        "No script runs; nothing is loaded from outside."),
    "back_to_article": "← Back to the article",
    "capture_history": "Every capture",
    # -- issue 16: province then and now, browsing, data views, errors in this language ----------
    "province_now_label": "Province today (after the 2025 merger)",
    "province_at_label": "Province at publication",
    "tag_label": "Tag",
    "province_now": "Province today",
    "province_then_now": "{then} (now {now})",
    "facet_province_now": "By province today",
    "facet_month": "By month",
    "facet_section": "By section",
    "facet_author": "By author",
    "facet_tag": "By tag",
    "first_page": "« First",
    "last_page": "Last »",
    "page_n": "Page {page}",
    "data_views": "Data",
    "download_results": "Download all results",
    "download_capped": "(the first {cap} articles at most)",
    "date_from_words": "date from {source}",
    "date_agree": "{first}, agreeing with {second}",
    "date_src_visible": "the page's date line",
    "date_src_meta": "the page metadata",
    "date_src_json-ld": "the page's structured data (JSON-LD)",
    "date_src_time": "the page's time tag",
    "date_src_url": "the article's URL",
    "modified_from_words": "modification date from {source}",
    "error_query": "This search cannot be run: {detail}",
    "error_query_empty": "The query «{q}» has no word to search for; type letters or digits.",
    "error_query_syntax": "The query is malformed ({detail}). Use: words, \"phrases\", OR, -exclusion, prefix*.",
    "error_param_int": "Parameter «{name}» must be a whole number from {low} to {high}.",
    "error_param_date": "Parameter «{name}» must be a date YYYY-MM-DD (e.g. 2019-08-06).",
    "error_param_sort": "Unknown sort order; choose: {choices}.",
    "error_param_range": "The date range is empty: «from» {first} is after «to» {last}.",
    "error_param_once": "Parameter «{name}» may be given once only.",
    "error_param_flag": "Parameter «{name}» must be 1 or 0.",
}

LANGUAGES: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "vi": MappingProxyType(_VI),
    "en": MappingProxyType(_EN),
})


def translate(lang: str, key: str, **values: object) -> str:
    """The string ``key`` in ``lang`` (Vietnamese when unknown), with ``{name}`` filled in.

    >>> translate("en", "total", total=3)
    '3 results'
    """
    table = LANGUAGES.get(lang, LANGUAGES[DEFAULT_LANGUAGE])
    text = table[key]
    return text.format(**values) if values else text


def localise_error(lang: str, error: Exception) -> str:
    """A query or parameter error in the interface's language.

    Errors carry a ``key`` of this table and its ``values`` when the code knows what went wrong
    (:class:`pipeline.web.api.BadParameter`, :class:`pipeline.search.filters.LocalisedQueryError`);
    any other is introduced in ``lang``, its own English detail kept for the English interface.
    """
    key = getattr(error, "key", None)
    values = dict(getattr(error, "values", None) or {})
    values.setdefault("detail", str(error))
    table = LANGUAGES.get(lang, LANGUAGES[DEFAULT_LANGUAGE])
    if not isinstance(key, str) or key not in table:
        key = "error_query"
    return translate(lang, key, **values)


def pick_language(requested: str | None, accept_language: str | None) -> str:
    """The interface language: ``?lang=`` first, then ``Accept-Language``, then Vietnamese.

    >>> pick_language(None, "en-GB,en;q=0.9,vi;q=0.5")
    'en'
    >>> pick_language("vi", "en")
    'vi'
    """
    if requested is not None and requested in LANGUAGES:
        return requested
    best: tuple[float, str] | None = None
    for item in (accept_language or "").split(","):
        parts = item.strip().split(";")
        tag = parts[0].strip().lower().split("-")[0]
        quality = 1.0
        for param in parts[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag in LANGUAGES and quality > 0 and (best is None or quality > best[0]):
            best = (quality, tag)
    return best[1] if best else DEFAULT_LANGUAGE
