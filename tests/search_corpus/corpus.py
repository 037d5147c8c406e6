"""The shared search corpus: 240 short articles written for the purpose, generated
deterministically from Vietnamese sentence pieces, with the diacritics traps of issue 4.

Traps: Đồng Nai beside "dong" words (dong riềng), Ð (U+00D0) typed for Đ, old and new tone
placement (hoà/hòa), decomposed (NFD) text, and homographs without marks (bán/bàn/ban,
Thành/thanh/thành). Loaded through ``store.upsert_articles`` like crawled articles.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from pipeline.archive.models import Source
from pipeline.archive.store import upsert_articles
from pipeline.record import ArticleRecord
from pipeline.text.dates import VN_TZ
from pipeline.text.normalise import sha256_text


@dataclass(frozen=True)
class CorpusSite:
    id: str
    name: str
    domain: str
    province_before: str
    province_after: str


SITES = (
    CorpusSite("baohaiduong", "Báo Hải Dương", "baohaiduong.vn", "Hải Dương", "Hải Phòng"),
    CorpusSite("baodongnai", "Báo Đồng Nai", "baodongnai.com.vn", "Đồng Nai", "Đồng Nai"),
    CorpusSite("baobinhphuoc", "Báo Bình Phước", "baobinhphuoc.com.vn", "Bình Phước", "Đồng Nai"),
    CorpusSite("baohoabinh", "Báo Hòa Bình", "baohoabinh.com.vn", "Hòa Bình", "Phú Thọ"),
    CorpusSite("baothanhhoa", "Báo Thanh Hóa", "baothanhhoa.vn", "Thanh Hóa", "Thanh Hóa"),
)

PLACES = ("Kim Thành", "Thanh Hà", "Cẩm Giàng", "Chí Linh", "Ninh Giang", "Biên Hòa",
          "Long Khánh", "Đồng Xoài", "Lương Sơn", "Mai Châu", "Sầm Sơn", "Thọ Xuân")
PEOPLE = ("Nguyễn Văn Thành", "Trần Thị Hòa", "Lê Đức Anh", "Phạm Minh Đức", "Vũ Thị Lan",
          "Đặng Quốc Bảo", "Hoàng Văn Dũng", "Bùi Thị Thanh")
TOPICS = (
    "xây dựng nông thôn mới", "chuyển đổi cây trồng", "tiêm vắc xin cho trẻ em",
    "sửa chữa đường giao thông", "khai giảng năm học mới", "tiếp xúc cử tri",
    "thu hoạch vải thiều", "phòng chống thiên tai", "cải cách hành chính",
    "phát triển du lịch cộng đồng", "trồng dong riềng làm miến", "bảo vệ môi trường",
)
OPENINGS = (
    "Sáng nay, tại {place}, {person} đã chủ trì hội nghị về {topic}.",
    "Người dân {place} phấn khởi với kết quả {topic} trong năm qua.",
    "{person} cho biết địa phương tiếp tục đẩy mạnh {topic} và huy động nguồn lực xã hội.",
    "Chiều qua, đoàn công tác của tỉnh kiểm tra tiến độ {topic} ở {place}.",
)
MIDDLES = (
    "Nhiều hộ gia đình đã góp công, góp đất để làm đường và nhà văn hóa.",
    "Thanh niên tình nguyện hỗ trợ bà con thu hoạch và vận chuyển hàng hóa.",
    "Thành phố dành nguồn vốn lớn cho các công trình trọng điểm.",
    "Ban chỉ đạo họp định kỳ để bàn giải pháp tháo gỡ khó khăn.",
    "Hợp tác xã bán nông sản qua sàn thương mại điện tử với giá ổn định.",
    "Cán bộ xã bàn giao nhà tình nghĩa cho gia đình chính sách.",
    "Mùa đông năm nay rét đậm, người dân chủ động chống rét cho gia súc.",
    "Các trường đã hoàn thành việc thanh toán học phí không dùng tiền mặt.",
    "Ngày hội đại đoàn kết toàn dân tộc diễn ra sôi nổi, ấm áp.",
    "Lãnh đạo huyện yêu cầu các đơn vị thực hiện nghiêm kỷ luật, kỷ cương hành chính.",
)
CLOSINGS = (
    "Dự kiến đến cuối năm, chương trình sẽ hoàn thành các chỉ tiêu đề ra.",
    "Địa phương phấn đấu giữ vững an ninh trật tự và nâng cao đời sống nhân dân.",
    "Kết quả này tạo tiền đề để hoàn thành kế hoạch năm sau.",
)
SECTIONS = ("Chính trị", "Kinh tế", "Xã hội", "Giáo dục", "Văn hóa")

# Handwritten articles for the traps; ids follow the generated ones.
TRAPS: tuple[tuple[str, str, str], ...] = (
    ("baodongnai", "Đồng Nai thu hút đầu tư",
     "Tỉnh Đồng Nai thu hút thêm nhiều dự án đầu tư mới vào các khu công nghiệp."),
    ("baodongnai", "Ðồng Nai khởi công cầu mới", "Ðồng Nai khởi công cây cầu nối Biên Hòa với thành phố Hồ Chí Minh."),
    ("baohaiduong", "Nông dân trồng dong riềng",
     "Cây dong riềng cho thu nhập khá, nông dân dong thuyền chở củ đi bán."),
    ("baohoabinh", "Hoà Bình phát triển du lịch hồ", "Tỉnh Hoà Bình khai thác du lịch lòng hồ thủy điện."),
    ("baohoabinh", "Hòa Bình đón khách quốc tế", "Hòa Bình đón nhiều khách quốc tế đến bản Lác, Mai Châu."),
    ("baohaiduong", unicodedata.normalize("NFD", "Huyện ủy Kim Thành tổng kết"),
     unicodedata.normalize("NFD", "Huyện ủy Kim Thành tổng kết công tác xây dựng Đảng năm 2024.")),
    ("baohaiduong", "KIM THÀNH ĐẠT CHUẨN NÔNG THÔN MỚI", "Huyện Kim Thành đạt chuẩn nông thôn mới nâng cao."),
    ("baohaiduong", "Chợ quê bán hàng Tết", "Tiểu thương bán hàng Tết từ sáng sớm, người mua đông vui."),
    ("baohaiduong", "Xưởng mộc đóng bàn ghế", "Xưởng mộc nhận đóng bàn ghế cho các trường học trong huyện."),
    ("baohaiduong", "Ban quản lý dự án họp", "Ban quản lý dự án họp rà soát tiến độ các công trình."),
    ("baothanhhoa", "Thanh niên Thanh Hóa ra quân", "Thanh niên Thanh Hóa ra quân làm sạch bãi biển Sầm Sơn."),
    ("baothanhhoa", "Thành phố Thanh Hóa mở rộng", "Thành phố Thanh Hóa mở rộng không gian đô thị về phía đông."),
    ("baobinhphuoc", "Đồng Xoài chỉnh trang đô thị", "Thành phố Đồng Xoài chỉnh trang đô thị, làm mới vỉa hè."),
    ("baohaiduong", "Tiêu đề có <script> và NEAR(", "Nội dung có ký tự đặc biệt: ^ : ( ) * \" và từ khóa NEAR(a b)."),
)


def write_article(rng: random.Random, index: int) -> tuple[str, str, str, str, str]:
    site = SITES[index % len(SITES)].id
    place, person, topic = rng.choice(PLACES), rng.choice(PEOPLE), rng.choice(TOPICS)
    opening = rng.choice(OPENINGS).format(place=place, person=person, topic=topic)
    body = " ".join([opening, *rng.sample(MIDDLES, 2), rng.choice(CLOSINGS)])
    title = f"{place}: {topic[0].upper()}{topic[1:]}"
    return site, title, opening, body, person


def corpus_records() -> list[ArticleRecord]:
    """The corpus as records, in insertion order (ids follow it)."""
    rng = random.Random(20241125)
    start = datetime(2019, 1, 3, 8, 0, tzinfo=VN_TZ)
    records = []
    for i in range(226):
        site, title, desc, body, person = write_article(rng, i)
        if i % 17 == 5:  # decomposed text, as some CMSes store it
            title, desc, body = (unicodedata.normalize("NFD", s) for s in (title, desc, body))
        if i % 19 == 7:  # Ð (U+00D0) typed for Đ
            title, body = title.replace("Đ", "Ð"), body.replace("Đ", "Ð")
        if i % 13 == 3:  # old tone placement
            body = body.replace("hòa", "hoà").replace("Hòa", "Hoà")
        published = start + timedelta(days=(i * 37) % 2400, minutes=i)
        records.append(make_record(i, site, title, desc, body, person, published, SECTIONS[i % 5]))
    for j, (site, title, body) in enumerate(TRAPS):
        published = datetime(2025, 3, 1, 9, 0, tzinfo=VN_TZ) + timedelta(hours=j)
        records.append(make_record(1000 + j, site, title, None, body, "Phóng viên", published, "Xã hội"))
    return records


def make_record(n: int, site: str, title: str, desc: str | None, body: str, author: str,
                published: datetime, section: str) -> ArticleRecord:
    domain = next(s.domain for s in SITES if s.id == site)
    url = f"https://{domain}/tin-{n}.html"
    return ArticleRecord(url=url, canonical_url=url, site=site, title=title, description=desc,
                         author=author, published_at=published, section=section, language="vi",
                         text=body, word_count=len(body.split()), content_sha256=sha256_text(body))


def load_corpus(session: Session) -> int:
    """Write the corpus's sources and articles into an upgraded archive; returns the count."""
    now = datetime(2025, 11, 25, tzinfo=VN_TZ)
    for s in SITES:
        session.add(Source(id=s.id, name=s.name, domain=s.domain, province_before=s.province_before,
                           province_after=s.province_after, created_at=now, updated_at=now))
    session.flush()
    records = corpus_records()
    upsert_articles(session, records, now=now)
    return len(records)
