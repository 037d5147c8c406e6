"""Tests of pipeline.text.normalise, .urls and .charset: text repair, whitespace, canonical URLs, digests, decoding."""

from __future__ import annotations

import doctest
import hashlib
import random
import re
import unicodedata

import lxml.html
import pytest

import pipeline.text.charset as charset_module
import pipeline.text.normalise as normalise_module
import pipeline.text.urls as urls_module
from pipeline.text.charset import decode_html
from pipeline.text.fold import fold
from pipeline.text.normalise import (
    clean_inline,
    count_words,
    normalise_text,
    normalise_whitespace,
    repair_mojibake,
    repair_text,
    sha256_text,
    unify_tone_placement,
)
from pipeline.text.urls import canonicalise_url, host_port, strip_session_ids

from . import paths

SEED = paths.SEED
TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"

SENTENCES = [
    "Huyện ủy Kim Thành: 4 công việc đột phá trong thực hiện Chỉ thị 05",
    "Đảng bộ huyện Kim Thành chọn 4 công việc đột phá gắn với thực hiện nhiệm vụ chính trị.",
    "Dịp này, huyện Kim Thành khen thưởng 13 tập thể, 20 cá nhân có thành tích tiêu biểu…",
    "“Nông thôn mới” ở Đồng Nai — giá lúa tăng 5%, đạt 7.500 ₫/kg.",
    "ĐỒNG CHÍ NGUYỄN THỊ THÚY ĐƯỢC BẦU LÀM CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH",
    "Ông Đỗ Văn Ước, Ủy viên Ban Thường vụ, phát biểu tại hội nghị ở Hòa Bình 😀",
    "Mưa lớn gây sạt lở ở Quảng Ngãi, Kon Tum; ước tính thiệt hại hơn 20 tỷ đồng.",
]


def seed_sentences() -> list[str]:
    """Every sentence of the seed article (split on sentence ends and lines)."""
    text = SEED.read_text(encoding="utf-8")
    parts = re.split(r"(?<=[.!?…;:])\s+|\n+", text)
    return [p.strip() for p in parts if len(p.strip()) > 1]


def realpage_lines(limit: int = 5000) -> list[str]:
    """Text lines of the real Dân trí pages (tags stripped with lxml)."""
    lines: list[str] = []
    for path, _url, _kind in paths.realpages():
        tree = lxml.html.fromstring(path.read_bytes())
        for node in tree.xpath("//script|//style|//noscript"):
            node.drop_tree()
        lines.extend(line.strip() for line in tree.text_content().splitlines() if len(line.strip()) > 10)
    return lines[:limit]


def browser_decode(raw: bytes, encoding: str) -> str:
    """Decode as a browser does: bytes the code page leaves undefined become C1 controls."""
    return "".join(
        bytes([b]).decode(encoding, errors="strict") if is_defined(b, encoding) else chr(b) for b in raw
    )


def is_defined(byte: int, encoding: str) -> bool:
    """True when the single-byte code page defines ``byte``."""
    try:
        bytes([byte]).decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def encode_cp1258(text: str) -> bytes:
    """Encode Vietnamese text in cp1258: base letters precomposed, tones as combining marks."""
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", char)
        tones = "".join(m for m in parts[1:] if m in TONE_MARKS)
        others = "".join(m for m in parts[1:] if m not in TONE_MARKS)
        out += unicodedata.normalize("NFC", parts[0] + others).encode("cp1258")
        out += tones.encode("cp1258")
    return bytes(out)


def test_encode_cp1258_helper_round_trips() -> None:
    for sentence in (s for s in SENTENCES if "😀" not in s):  # no cp1258 byte for emoji
        assert unicodedata.normalize("NFC", encode_cp1258(sentence).decode("cp1258")) == sentence


# ----------------------------------------------------------------------------- mojibake ----


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "cp1258"])
@pytest.mark.parametrize("sentence", SENTENCES)
def test_mojibake_round_trip(sentence: str, encoding: str) -> None:
    garbled = browser_decode(sentence.encode("utf-8"), encoding)
    assert garbled != sentence
    assert repair_text(garbled) == sentence


@pytest.mark.parametrize("sentence", seed_sentences())
def test_mojibake_round_trip_seed(sentence: str) -> None:
    for encoding in ("cp1252", "latin-1", "cp1258"):
        garbled = browser_decode(sentence.encode("utf-8"), encoding)
        assert repair_text(garbled) == repair_text(sentence)


def test_mojibake_example_from_brief() -> None:
    assert repair_text("Huyá»‡n á»§y") == "Huyện ủy"


def test_mojibake_strict_cp1252_losses_guessed() -> None:
    # Python's strict-with-replace cp1252 loses 0x90 (Đ) and 0x9D (”).
    garbled = "“Đảng bộ”".encode().decode("cp1252", errors="replace")
    assert "\ufffd" in garbled
    assert repair_text(garbled) == "“Đảng bộ”"


def test_mojibake_twice_garbled() -> None:
    once = "Huyện ủy".encode().decode("latin-1")
    twice = once.encode("utf-8").decode("latin-1")
    assert repair_mojibake(twice) == "Huyện ủy"


def test_mojibake_mixed_with_correct_text() -> None:
    garbled = "Bé Na ở " + browser_decode("Hà Nội".encode(), "cp1252")
    assert repair_text(garbled) == "Bé Na ở Hà Nội"


@pytest.mark.parametrize(
    "text",
    [
        "“CHÀO Ô” và “BÁC Ý”",  # Ô/Ý before a closing quote re-encode to Cyrillic/IPA: kept
        "NGÃ\u00a0BA TRẦN PHÚ",  # Ã + NBSP spell the UTF-8 of "à", but in an upper-case word
        "Café ở Đà Lạt",
        "Naïve façade",
        "Guðrún Ólafsdóttir",
        "30°C, ±5%, ½ giờ",
        "© Báo Hải Dương 2024",
        "Æon Mall Hải Phòng",
    ],
)
def test_repair_leaves_plausible_foreign_text(text: str) -> None:
    assert repair_text(text) == text.replace("\u00a0", " ")


def test_correct_seed_sentences_unchanged() -> None:
    for sentence in seed_sentences():
        expected = unicodedata.normalize("NFC", sentence).replace("\u00a0", " ").replace("\u2009", " ")
        assert repair_text(sentence) == expected


def test_correct_realpage_lines_unchanged() -> None:
    lines = realpage_lines()
    assert len(lines) >= 300
    for line in lines:
        expected = re.sub("[\u00a0\u2000-\u200a\u202f]", " ", unicodedata.normalize("NFC", line))
        expected = re.sub("[\u200b\u200c\ufeff\u00ad]", "", expected)
        repaired = repair_text(line)
        if repaired != expected:  # only tone placement may differ, word by word
            pairs = list(zip(expected.split(), repaired.split(), strict=True))
            assert all(fold(a) == fold(b) for a, b in pairs), line


def test_nfd_text_is_composed() -> None:
    text = "Huyện ủy Kim Thành, Đồng Nai"
    assert repair_text(unicodedata.normalize("NFD", text)) == text


# -------------------------------------------------------------------------- tone, Ð, invisible --


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("hoà", "hòa"), ("hòa", "hòa"), ("Hoà Bình", "Hòa Bình"), ("HOÀ BÌNH", "HÒA BÌNH"),
        ("khoẻ", "khỏe"), ("thuý", "thúy"), ("Thuỵ", "Thụy"), ("uỷ ban", "ủy ban"),
        ("Uỷ ban", "Ủy ban"), ("UỶ BAN", "ỦY BAN"), ("toà án", "tòa án"), ("xoá", "xóa"),
        ("loé", "lóe"), ("goá", "góa"), ("hoạ", "họa"), ("thoả", "thỏa"), ("luỹ", "lũy"),
        ("quý", "quý"), ("QUÝ", "QUÝ"), ("quỳ", "quỳ"), ("già", "già"), ("hoàng", "hoàng"),
        ("thuyết", "thuyết"), ("khuyên", "khuyên"), ("ngoèo", "ngoèo"), ("khoái", "khoái"),
        ("hoàn thành", "hoàn thành"), ("thuỷ lợi, hoà giải", "thủy lợi, hòa giải"),
    ],
)
def test_tone_placement(given: str, expected: str) -> None:
    assert unify_tone_placement(given) == expected
    assert unify_tone_placement(expected) == expected  # idempotent


@pytest.mark.parametrize(
    "printed",
    ["Thanh Hoá", "Thanh Hóa", "minh hoạ", "minh họa", "thuý", "thúy", "Uỷ ban", "Ủy ban", "UỶ BAN",
     "ỦY BAN", "khoẻ", "khỏe", "thuỷ lợi, hoà giải"],
)
def test_repair_keeps_the_printed_tone_placement(printed: str) -> None:
    """An archive quotes, it does not copy-edit: old and new placement both stay as printed."""
    assert repair_text(printed) == printed
    assert normalise_text(printed) == printed


@pytest.mark.parametrize("printed", ["Thanh Hoá", "minh hoạ", "Uỷ ban thuỷ lợi", "Thanh Hóa"])
def test_repair_of_broken_decoding_keeps_the_printed_tone_placement(printed: str) -> None:
    """Decomposed text and mojibake are repaired back to the printed spelling, not the modern one."""
    assert repair_text(unicodedata.normalize("NFD", printed)) == printed
    assert repair_text(printed.encode("utf-8").decode("cp1252", errors="replace")) == printed
    assert repair_text(printed.replace("Đ", "Ð")) == printed


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Ðồng Nai", "Đồng Nai"), ("ÐỒNG NAI", "ĐỒNG NAI"), ("ðường", "đường"),
        ("Ðảng bộ", "Đảng bộ"), ("Guðrún", "Guðrún"), ("Ð", "Ð"), ("ÐR", "ÐR"),
    ],
)
def test_eth_to_d_with_stroke(given: str, expected: str) -> None:
    assert repair_text(given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Kim\u200bThành", "KimThành"), ("\ufeffHuyện", "Huyện"), ("a\u00a0b", "a b"),
        ("a\u202fb", "a b"), ("so\u00adft", "soft"), ("👨\u200d👩", "👨\u200d👩"),
        ("Thành\u200d", "Thành"),
    ],
)
def test_invisible_characters(given: str, expected: str) -> None:
    assert repair_text(given) == expected


# ------------------------------------------------------------------------- whitespace etc. ---


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("  a \t b  \n\n\n c  ", "a b\nc"),
        ("x\r\ny\r\n\r\n", "x\ny"),
        ("\n\n", ""),
        ("một   hai\tba", "một hai ba"),
    ],
)
def test_normalise_whitespace(given: str, expected: str) -> None:
    assert normalise_whitespace(given) == expected


def test_normalise_text_combines_repair_and_whitespace() -> None:
    given = "  Huyá»‡n  á»§y\u00a0 \n\n Hoà   Bình "
    assert normalise_text(given) == "Huyện ủy\nHoà Bình"


@pytest.mark.parametrize(
    ("given", "expected"),
    [(None, None), ("", None), ("  \n ", None), (" Tiêu\nđề  bài ", "Tiêu đề bài"), ("HV", "HV")],
)
def test_clean_inline(given: str | None, expected: str | None) -> None:
    assert clean_inline(given) == expected


@pytest.mark.parametrize(
    ("text", "count"),
    [("", 0), ("Huyện ủy Kim Thành", 4), ("a - b", 2), ("13 tập thể, 20 cá nhân", 6), ("— … !", 0)],
)
def test_count_words(text: str, count: int) -> None:
    assert count_words(text) == count


def test_sha256_text() -> None:
    assert sha256_text("Huyện ủy") == hashlib.sha256("Huyện ủy".encode()).hexdigest()
    assert sha256_text("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


# ------------------------------------------------------------------------------------- URLs --

URL_CASES = [
    ("HTTPS://WWW.BaoHaiDuong.VN/Tin-Tuc/abc.html", "https://baohaiduong.vn/Tin-Tuc/abc.html"),
    ("http://baohaiduong.vn:80/a", "http://baohaiduong.vn/a"),
    ("https://baohaiduong.vn:443/a", "https://baohaiduong.vn/a"),
    ("https://baohaiduong.vn:8443/a", "https://baohaiduong.vn:8443/a"),
    ("https://m.baohaiduong.vn/a.html", "https://baohaiduong.vn/a.html"),
    ("https://amp.baohaiduong.vn/a.html", "https://baohaiduong.vn/a.html"),
    ("https://baohaiduong.vn/a.html/amp", "https://baohaiduong.vn/a.html"),
    ("https://baohaiduong.vn/a.html?amp=1", "https://baohaiduong.vn/a.html"),
    ("https://baohaiduong.vn/a.html?amp", "https://baohaiduong.vn/a.html"),
    ("https://baohaiduong.vn/a.html#binh-luan", "https://baohaiduong.vn/a.html"),
    (
        "https://baohaiduong.vn/a.html?utm_source=fb&utm_medium=x&fbclid=1&gclid=2&zarsrc=3"
        "&zl_x=4&_ga=5&mc_cid=6&mc_eid=7&ref=home&source=rss&gidzl=8",
        "https://baohaiduong.vn/a.html",
    ),
    ("https://baohaiduong.vn/search?q=kim&page=2&a=1", "https://baohaiduong.vn/search?a=1&page=2&q=kim"),
    ("https://baohaiduong.vn/search?source=web", "https://baohaiduong.vn/search?source=web"),
    ("https://baohaiduong.vn//tin//a.html", "https://baohaiduong.vn/tin/a.html"),
    ("https://baohaiduong.vn/tin/", "https://baohaiduong.vn/tin"),
    ("https://baohaiduong.vn/", "https://baohaiduong.vn/"),
    ("https://baohaiduong.vn", "https://baohaiduong.vn/"),
    ("https://baohaiduong.vn/a/./b/../c", "https://baohaiduong.vn/a/c"),
    ("https://baohaiduong.vn/%7Etin/%e1%bb%87", "https://baohaiduong.vn/~tin/%E1%BB%87"),
    ("https://baohaiduong.vn/huyện", "https://baohaiduong.vn/huy%E1%BB%87n"),
    ("https://baohaiduong.vn/a b", "https://baohaiduong.vn/a%20b"),
    ("https://báo.vn/a", "https://xn--bo-mia.vn/a"),
    ("  https://baohaiduong.vn/a  ", "https://baohaiduong.vn/a"),
    ("mailto:toasoan@baohaiduong.vn", "mailto:toasoan@baohaiduong.vn"),
    ("javascript:void(0)", "javascript:void(0)"),
    ("", ""),
]


@pytest.mark.parametrize(("given", "expected"), URL_CASES)
def test_canonicalise_url(given: str, expected: str) -> None:
    assert canonicalise_url(given) == expected
    assert canonicalise_url(expected) == expected  # idempotent


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://baohaiduong.vn/tin/a-123.html", "https://baohaiphong.vn/tin/a-123.html"),
        ("http://www.baohaiduong.vn/tin/a-123.html", "https://baohaiphong.vn/tin/a-123.html"),
        ("http://m.haiduong.gov.vn/tin/a.html", "https://baohaiphong.vn/tin/a.html"),
        ("http://baohaiphong.vn/tin/a.html", "https://baohaiphong.vn/tin/a.html"),
        ("http://www.baohaiphong.vn/tin/a.html", "https://baohaiphong.vn/tin/a.html"),
        ("http://example.vn/tin/a.html", "http://example.vn/tin/a.html"),
    ],
)
def test_canonicalise_url_aliases(given: str, expected: str) -> None:
    aliases = ["www.baohaiduong.vn", "haiduong.gov.vn"]
    got = canonicalise_url(given, primary_host="baohaiphong.vn", alias_hosts=aliases, scheme="https")
    assert got == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://baohaiduong.vn/a-1.html?sid=8f3a9c", "https://baohaiduong.vn/a-1.html"),
        ("https://baohaiduong.vn/a-1.html;jsessionid=0A1B2C?page=2", "https://baohaiduong.vn/a-1.html?page=2"),
        ("https://baohaiduong.vn/a-1.html?PHPSESSID=abc&id=7&_=1716", "https://baohaiduong.vn/a-1.html?id=7"),
        ("https://baohaiduong.vn/a-1.html?sessionid=x&ASPSESSIONIDQAQDSRTB=y", "https://baohaiduong.vn/a-1.html"),
        ("https://baohaiduong.vn/sitemap.xml?v=123", "https://baohaiduong.vn/sitemap.xml?v=123"),
        ("http://127.0.0.1:8124/a-1.html", "http://127.0.0.1:8124/a-1.html"),
        ("https://baohaiduong.vn:443/a-1.html", "https://baohaiduong.vn/a-1.html"),
    ],
)
def test_canonicalise_url_drops_session_ids_keeps_ports(given: str, expected: str) -> None:
    assert canonicalise_url(given) == expected


def test_session_ids_make_one_url() -> None:
    links = {f"https://baohaiduong.vn/a-1.html?sid={n:x}" for n in range(400)}
    assert len({canonicalise_url(u) for u in links}) == 1
    assert {strip_session_ids(u) for u in links} == {"https://baohaiduong.vn/a-1.html"}
    assert strip_session_ids("https://a.vn/x-1.html;JSESSIONID=9?_=3&b=2") == "https://a.vn/x-1.html?b=2"
    assert strip_session_ids("http://[::1") == "http://[::1"


@pytest.mark.parametrize(
    ("given", "aliases", "expected"),
    [
        # a host named with its port is that port alone: a page on another port keeps its own
        ("http://127.0.0.1:8123/a-1.html", ["127.0.0.1:8123"], "http://demo.baotinh.test/a-1.html"),
        ("http://127.0.0.1:8124/a-1.html", ["127.0.0.1:8123"], "http://127.0.0.1:8124/a-1.html"),
        # a host named without one stands for the site on the port it was fetched from (mirrors)
        ("http://127.0.0.1:8124/a-1.html", ["127.0.0.1"], "http://demo.baotinh.test/a-1.html"),
    ],
)
def test_canonicalise_url_alias_ports(given: str, aliases: list[str], expected: str) -> None:
    got = canonicalise_url(given, primary_host="demo.baotinh.test", alias_hosts=aliases, scheme="http")
    assert got == expected


def test_host_port() -> None:
    assert host_port("HTTPS://Báo.vn/a") == ("xn--bo-mia.vn", 443)
    assert host_port("http://127.0.0.1:8123/") == ("127.0.0.1", 8123)
    assert [host_port(u) for u in ("http://[::1", "http://a.vn:99999/", "ftp://a.vn/", "http:///x")] == [None] * 4


def test_canonicalise_url_alias_keeps_scheme_without_one() -> None:
    got = canonicalise_url(
        "http://baohaiduong.vn/a", primary_host="baohaiphong.vn", alias_hosts=["baohaiduong.vn"]
    )
    assert got == "http://baohaiphong.vn/a"


@pytest.mark.parametrize(
    "given", ["http://[::1", "https://a.vn:99999999/x", "http://%zz/", "::::", "http://"]
)
def test_canonicalise_url_never_raises(given: str) -> None:
    assert isinstance(canonicalise_url(given), str)


# ---------------------------------------------------------------------------- decode_html --

PAGE = (
    "<html><head>{meta}<title>Huyện ủy Kim Thành</title></head>"
    "<body><p>Đảng bộ huyện “Kim Thành”</p></body></html>"
)
LATIN1_META = '<meta charset="iso-8859-1">'



def page(meta: str = "") -> str:
    return PAGE.format(meta=meta)


@pytest.mark.parametrize(
    ("body", "http_charset", "charset", "text"),
    [
        (page().encode("utf-8"), None, "utf-8", page()),
        (b"\xef\xbb\xbf" + page().encode("utf-8"), "iso-8859-1", "utf-8", page()),
        (page().encode("utf-16"), None, "utf-16-le", page()),
        (page().encode("utf-8"), "utf-8", "utf-8", page()),
        (page().encode("utf-8"), "ISO-8859-1", "utf-8", page()),  # declared latin-1, sent UTF-8
        (page(LATIN1_META).encode("utf-8"), None, "utf-8", page(LATIN1_META)),
        (page().encode("utf-8"), "x-unknown-charset", "utf-8", page()),
        (page().encode("utf-8"), "utf-16", "utf-8", page()),
    ],
)
def test_decode_html_utf8(body: bytes, http_charset: str | None, charset: str, text: str) -> None:
    assert decode_html(body, http_charset=http_charset) == (text, charset)


@pytest.mark.parametrize(
    ("meta", "http_charset"),
    [
        ('<meta charset="windows-1258">', None),
        ('<meta http-equiv="Content-Type" content="text/html; charset=windows-1258">', None),
        ("", "windows-1258"),
        ("", "cp1258"),
        ("", None),  # undeclared: the bytes read as Vietnamese in cp1258
        ('<meta charset="iso-8859-1">', None),  # mislabelled: the letters say cp1258
        ("", "windows-1252"),
    ],
)
def test_decode_html_cp1258(meta: str, http_charset: str | None) -> None:
    html = page(meta)
    text, charset = decode_html(encode_cp1258(html), http_charset=http_charset)
    assert charset == "cp1258"
    assert text == html


def test_decode_html_cp1252_declared() -> None:
    html = '<meta charset="windows-1252"><title>Café crème</title><p>“Naïve” façade – 5 €</p>'
    assert decode_html(html.encode("cp1252")) == (html, "cp1252")


def test_decode_html_undeclared_western_text_is_cp1252() -> None:
    html = "<p>Café crème brûlée, naïve façade</p>"
    assert decode_html(html.encode("cp1252")) == (html, "cp1252")


def test_decode_html_declared_utf8_with_a_broken_byte() -> None:
    html = page('<meta charset="utf-8">') * 20
    body = html.encode("utf-8")
    broken = body[:100] + b"\xff" + body[100:]
    text, charset = decode_html(broken)
    assert charset == "utf-8"
    assert text.replace("\ufffd", "") == html


def test_decode_html_meta_beyond_4kb_ignored() -> None:
    html = "<!--" + "x" * 5000 + '--><meta charset="windows-1258"><p>Đảng bộ</p>'
    _, charset = decode_html(encode_cp1258(html))
    assert charset == "cp1258"  # found by content, not by the too-late declaration


def test_decode_html_never_raises_on_random_bytes() -> None:
    rng = random.Random(20240312)
    for size in (0, 1, 2, 3, 7, 100, 5000):
        for _ in range(30):
            body = bytes(rng.randrange(256) for _ in range(size))
            for http_charset in (None, "utf-8", "windows-1258", "bogus", "utf-16", "shift_jis"):
                text, charset = decode_html(body, http_charset=http_charset)
                assert isinstance(text, str) and charset


def test_repair_text_never_raises_on_random_text() -> None:
    rng = random.Random(7)
    alphabet = "aăâđêôơưÃÄÅÆáºá»€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ\u00a0\u0300\u0301\u200b\u200dÐð \n"
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(40)))
        assert isinstance(normalise_text(text), str)


def test_docstring_examples() -> None:
    assert doctest.testmod(normalise_module).failed == 0


def test_docstring_examples_of_urls_and_charset() -> None:
    for module in (urls_module, charset_module):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0


def test_decode_html_declared_utf8_but_cp1258_bytes() -> None:
    html = page('<meta charset="utf-8">')
    assert decode_html(encode_cp1258(html), http_charset="utf-8") == (html, "cp1258")


def test_fast_paths_match_their_plain_definitions() -> None:
    """The shortcuts of count_words, normalise_whitespace, remove_invisible and repair_mojibake
    give exactly what the plain per-character / per-line / substitute-always forms give."""
    rng = random.Random(11)
    whitespace = [chr(c) for c in range(0x3001) if chr(c).isspace()]
    alphabet = list("ao Đà_-.,1½²") + whitespace + ["  ", "\u200b", "\u200d", "\ufeff", "😀", "Huyá»‡n", "â€œ", "Ã"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(20)))
        assert count_words(text) == sum(1 for t in text.split() if any(c.isalnum() for c in t))
        lines = (re.sub(r"[^\S\n]+", " ", line).strip() for line in text.splitlines())
        assert normalise_whitespace(text) == "\n".join(line for line in lines if line)
        invisible = normalise_module.JOINER_RE.sub("", normalise_module.INVISIBLE_RE.sub("", text))
        assert normalise_module.remove_invisible(text) == normalise_module.ODD_SPACE_RE.sub(" ", invisible)
        if normalise_module.MOJIBAKE_RE.search(text):
            assert normalise_module.MOJIBAKE_START_RE.search(text)
