"""The relevance corpus: short provincial news items written for the purpose (issue 16).

Each hard case of Vietnamese search has both sides here: province names that are also common
words ("Bình Dương" beside "bình quân … đường", "Hòa Bình" beside "Bình Giang … văn hóa",
"Long An" beside "long trọng … an ninh", "Đồng Tháp" beside "đồng … tháp nước", "Đồng Nai"
beside "cánh đồng … nai lưng"), tone-only differences (mới/mỗi, bình/Bính, dông/đông/dong),
old and new tone placement (Hoà/Hòa, Thuý/Thúy, uỷ/ủy) and a phrase across punctuation
("Lưu Bình - Dương Lễ"). Keys name the articles; ids follow the order here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.archive.models import Article, Source
from pipeline.archive.store import upsert_articles
from pipeline.record import ArticleRecord
from pipeline.text.dates import VN_TZ
from pipeline.text.normalise import sha256_text

# id, name, domain, province before and after the July 2025 merger.
SOURCES = (
    ("baodongnai", "Báo Đồng Nai", "baodongnai.com.vn", "Đồng Nai", "Đồng Nai"),
    ("baobinhduong", "Báo Bình Dương", "baobinhduong.vn", "Bình Dương", "Thành phố Hồ Chí Minh"),
    ("baobinhphuoc", "Báo Bình Phước", "baobinhphuoc.com.vn", "Bình Phước", "Đồng Nai"),
    ("baohoabinh", "Báo Hòa Bình", "baohoabinh.com.vn", "Hòa Bình", "Phú Thọ"),
    ("baolongan", "Báo Long An", "baolongan.vn", "Long An", "Tây Ninh"),
    ("baodongthap", "Báo Đồng Tháp", "baodongthap.vn", "Đồng Tháp", "Đồng Tháp"),
    ("baohaiduong", "Báo Hải Dương", "baohaiduong.vn", "Hải Dương", "Hải Phòng"),
    ("baonghean", "Báo Nghệ An", "baonghean.vn", "Nghệ An", "Nghệ An"),
    ("baohatinh", "Báo Hà Tĩnh", "baohatinh.vn", "Hà Tĩnh", "Hà Tĩnh"),
)


@dataclass(frozen=True)
class Item:
    key: str
    site: str
    day: str  # d/m/Y, as the papers print it
    title: str
    lead: str
    body: str
    author: str = "Phóng viên"


ARTICLES: tuple[Item, ...] = (
    # -- Đồng Nai, and "đồng … nai" apart -------------------------------------------------------
    Item("dn_caotoc", "baodongnai", "12/3/2024",
         "Đồng Nai khởi công cao tốc Biên Hòa – Vũng Tàu",
         "Sáng 12/3, tỉnh Đồng Nai khởi công dự án thành phần 1 cao tốc Biên Hòa – Vũng Tàu, dài gần 20 km.",
         "Dự án đi qua thành phố Biên Hòa và huyện Long Thành, tổng mức đầu tư hơn 5.000 tỷ đồng. "
         "Lãnh đạo UBND tỉnh Đồng Nai yêu cầu nhà thầu bảo đảm an toàn lao động, thi công xuyên Tết "
         "để về đích đúng hẹn. Khi hoàn thành, tuyến đường sẽ giảm tải cho quốc lộ 51.", "Quang Huy"),
    Item("dn_xuatkhau", "baodongnai", "5/4/2024",
         "Xuất khẩu của Đồng Nai tăng 12% trong quý I",
         "Ba tháng đầu năm, kim ngạch xuất khẩu của Đồng Nai ước đạt 5,6 tỷ USD, tăng 12% so với cùng kỳ.",
         "Các mặt hàng chủ lực gồm giày dép, dệt may, đồ gỗ và linh kiện điện tử. Sở Công Thương cho "
         "biết nhiều doanh nghiệp đã có đơn hàng mới đến hết quý III và hoàn thành sớm kế hoạch quý. "
         "Thị trường Hoa Kỳ và châu Âu vẫn chiếm tỷ trọng lớn nhất.", "Ngọc Lan"),
    Item("dn_sanbay", "baodongnai", "20/6/2024",
         "Sân bay Long Thành: Đồng Nai bàn giao toàn bộ mặt bằng",
         "Tỉnh Đồng Nai đã bàn giao 100% diện tích đất cho dự án Cảng hàng không quốc tế Long Thành.",
         "Hơn 5.000 hộ dân đã nhận tiền bồi thường và chuyển đến khu tái định cư Lộc An – Bình Sơn. "
         "Người dân được hỗ trợ học nghề để ổn định cuộc sống mới. Theo kế hoạch, sân bay đưa vào "
         "khai thác năm 2026.", "Quang Huy"),
    Item("dn_song", "baobinhduong", "8/8/2023",
         "Ra quân làm sạch sông Đồng Nai đoạn qua Tân Uyên",
         "Hơn 500 đoàn viên thanh niên thành phố Tân Uyên ra quân vớt rác, khơi thông dòng chảy.",
         "Bình Dương xác định bảo vệ nguồn nước sông Đồng Nai là nhiệm vụ lâu dài. Mỗi tháng, các "
         "phường ven sông tổ chức một ngày chủ nhật xanh. Rác thải nhựa được phân loại và chuyển về "
         "nhà máy xử lý.", "Tuấn Kiệt"),
    Item("dn_cau", "baodongnai", "15/9/2024",
         "Thông xe cầu nối Đồng Nai với Bình Dương",
         "Cầu Bạch Đằng 2 nối huyện Vĩnh Cửu (Đồng Nai) với thành phố Tân Uyên (Bình Dương) chính thức thông xe.",
         "Cây cầu dài 800 m rút ngắn thời gian đi lại giữa hai tỉnh. Người dân hai bên bờ sông không "
         "còn phải đi đò ngang mỗi sáng.", "Ngọc Lan"),
    Item("dn_caosu", "baobinhphuoc", "3/2/2025",
         "Giá mủ cao su tăng, nông dân Bình Phước phấn khởi",
         "Đầu vụ cạo mủ năm nay, giá mủ nước tăng gần 20% so với cùng kỳ.",
         "Nhiều thương lái từ Đồng Nai và Bình Dương lên tận vườn thu mua với giá 420 đồng một độ. "
         "Nông dân tranh thủ chăm sóc, bón phân cho vườn cây sau Tết.", "Phương Thảo"),
    Item("dx_nailung", "baohatinh", "10/7/2023",
         "Nông dân Can Lộc nai lưng chống hạn trên cánh đồng",
         "Nắng nóng kéo dài, hàng trăm hecta lúa hè thu ở Can Lộc thiếu nước.",
         "Người dân phải nai lưng tát nước từ kênh mương vào ruộng. Mỗi sào ruộng tốn thêm vài trăm "
         "nghìn đồng tiền dầu chạy máy bơm. Chính quyền xã đã huy động máy bơm dã chiến hỗ trợ bà con.",
         "Minh Châu"),
    Item("dx_huounai", "baonghean", "2/11/2023",
         "Nuôi hươu sao, nông dân Quỳnh Lưu thu trăm triệu đồng mỗi năm",
         "Nhiều hộ ở Quỳnh Lưu chuyển từ nuôi lợn sang nuôi hươu sao và nai lấy nhung.",
         "Một con nai trưởng thành cho khoảng 1,5 kg nhung mỗi năm, giá bán từ 15 đến 20 triệu đồng. "
         "Mô hình ít dịch bệnh, tận dụng được nguồn thức ăn sẵn có trên đồng ruộng.", "Minh Châu"),
    Item("dx_cattien", "baobinhphuoc", "22/5/2024",
         "Thả đàn nai về Vườn quốc gia Cát Tiên",
         "Lực lượng kiểm lâm Lâm Đồng vừa thả 12 cá thể nai về môi trường tự nhiên.",
         "Đàn nai được cứu hộ từ các vụ buôn bán trái phép và chăm sóc suốt sáu tháng. Kiểm lâm sẽ "
         "theo dõi chúng bằng vòng cổ định vị.", "Phương Thảo"),
    # -- Bình Dương, and "bình … đường" ----------------------------------------------------------
    Item("bd_fdi", "baobinhduong", "2/1/2025",
         "Bình Dương thu hút hơn 1,2 tỷ USD vốn FDI",
         "Năm 2024, Bình Dương thu hút 1,2 tỷ USD vốn đầu tư trực tiếp nước ngoài, vượt kế hoạch.",
         "Phần lớn dự án mới tập trung vào công nghiệp chế biến, logistics và năng lượng sạch. Tỉnh "
         "đang mở rộng các khu công nghiệp Bàu Bàng và Cây Trường.", "Tuấn Kiệt"),
    Item("bd_thongminh", "baobinhduong", "14/5/2024",
         "Thủ Dầu Một vận hành trung tâm đô thị thông minh",
         "Thành phố Thủ Dầu Một, tỉnh Bình Dương, đưa trung tâm điều hành đô thị thông minh vào hoạt động.",
         "Người dân có thể phản ánh sự cố đường sá, chiếu sáng qua ứng dụng trên điện thoại. Mỗi phản "
         "ánh được xử lý trung bình trong hai ngày.", "Tuấn Kiệt"),
    Item("bd_sapnhap", "baobinhduong", "30/6/2025",
         "Bình Dương khép lại chặng đường 28 năm tái lập tỉnh",
         "Từ ngày 1/7/2025, tỉnh Bình Dương hợp nhất với Thành phố Hồ Chí Minh và Bà Rịa-Vũng Tàu.",
         "Trong 28 năm, Bình Dương từ một tỉnh thuần nông đã trở thành trung tâm công nghiệp của cả "
         "nước. Cán bộ, công chức sẵn sàng cho bộ máy chính quyền mới.", "Tuấn Kiệt"),
    Item("bx_cheo", "baohaiduong", "2/12/2023",
         "Câu lạc bộ chèo Tứ Kỳ giữ lửa nghề",
         "Gần 40 thành viên câu lạc bộ chèo ở xã Quang Phục tập luyện vào mỗi tối thứ bảy.",
         "Câu lạc bộ đã dựng nhiều trích đoạn chèo cổ như Quan Âm Thị Kính, Lưu Bình - Dương Lễ, "
         "Trương Viên. Các nghệ nhân truyền dạy cho lớp trẻ từ làn điệu đến cách múa quạt.", "Hải Yến"),
    Item("bx_binhquan", "baohaiduong", "5/3/2024",
         "Thu nhập bình quân ở Ninh Giang đạt 70 triệu đồng",
         "Thu nhập bình quân đầu người của huyện Ninh Giang năm 2023 đạt 70 triệu đồng.",
         "Huyện đã cứng hóa 95% đường giao thông nông thôn. Đời sống người dân ngày càng no ấm, "
         "bình yên.", "Hải Yến"),
    Item("bx_cuuchienbinh", "baonghean", "27/7/2024",
         "Cựu chiến binh Diễn Châu làm kinh tế giỏi",
         "Ông Trần Văn Bính, 72 tuổi, cựu chiến binh xã Diễn Hoa, có trang trại cho thu nhập 600 "
         "triệu đồng mỗi năm.",
         "Ông nói những năm tháng chiến tranh đã dạy ông quý trọng cuộc sống hòa bình. Đường vào "
         "trang trại nay đã được bê tông hóa, xe tải vào tận nơi.", "Minh Châu"),
    # -- Hòa Bình / Hoà Bình, and "bình … hóa" ---------------------------------------------------
    Item("hb_dulich", "baohoabinh", "3/3/2024",
         "Hoà Bình phát triển du lịch lòng hồ",
         "Tỉnh Hoà Bình khai thác tiềm năng du lịch lòng hồ thủy điện với hơn 20 điểm đến.",
         "Du khách có thể đi thuyền thăm động Thác Bờ, nghỉ tại nhà sàn của người Mường. Mỗi năm, "
         "khu du lịch hồ Hoà Bình đón hơn 300.000 lượt khách.", "Đức Thịnh"),
    Item("hb_cam", "baohoabinh", "9/11/2024",
         "Cam Cao Phong vào vụ thu hoạch",
         "Nông dân huyện Cao Phong, tỉnh Hòa Bình, bắt đầu thu hoạch cam sớm với giá bán ổn định.",
         "Toàn huyện có hơn 2.000 ha cam, năng suất bình quân 25 tấn mỗi hecta. Thương lái từ Hà Nội "
         "về tận vườn thu mua.", "Đức Thịnh"),
    Item("hb_sapnhap", "baohoabinh", "28/6/2025",
         "Hòa Bình sẵn sàng hợp nhất vào tỉnh Phú Thọ",
         "Từ ngày 1/7/2025, các tỉnh Hòa Bình, Vĩnh Phúc và Phú Thọ hợp nhất thành tỉnh Phú Thọ.",
         "Trụ sở cơ quan tỉnh ủy và ủy ban nhân dân tỉnh mới đặt tại thành phố Việt Trì. Cán bộ từ "
         "Hòa Bình được bố trí xe đưa đón hằng tuần.", "Đức Thịnh"),
    Item("hb_nghean", "baonghean", "18/4/2024",
         "Con Cuông học cách làm du lịch cộng đồng",
         "Đoàn công tác huyện Con Cuông đi khảo sát mô hình du lịch cộng đồng ở các tỉnh phía Bắc.",
         "Tại bản Lác, huyện Mai Châu, tỉnh Hoà Bình, đoàn tìm hiểu cách người Thái đón khách, giữ "
         "gìn nhà sàn và dệt thổ cẩm. Huyện sẽ chọn hai bản để làm thí điểm.", "Minh Châu"),
    Item("hx_binhgiang", "baohaiduong", "21/12/2023",
         "Bình Giang đạt chuẩn nông thôn mới nâng cao",
         "Huyện Bình Giang được công nhận đạt chuẩn nông thôn mới nâng cao.",
         "Thu nhập bình quân đạt 75 triệu đồng một năm. Thôn nào cũng có nhà văn hóa và sân thể thao, "
         "các thiết chế văn hóa được đầu tư đồng bộ.", "Hải Yến"),
    Item("hx_vanhoa", "baolongan", "10/2/2024",
         "Ngày hội văn hóa các dân tộc ở Mộc Hóa",
         "Hơn 1.000 người dân tham gia ngày hội văn hóa, thể thao tại thị xã Kiến Tường.",
         "Các đội thi đấu kéo co, đẩy gậy trong không khí bình đẳng, vui tươi. Ban tổ chức trao giải "
         "cho đội hòa giải cơ sở có tiểu phẩm hay nhất.", "Thanh Tâm"),
    Item("hx_binhhoa", "baodongthap", "4/6/2024",
         "Xã Bình Hòa trồng sen kết hợp du lịch",
         "Nông dân xã Bình Hòa chuyển ruộng lúa kém hiệu quả sang trồng sen, đón khách tham quan.",
         "Mỗi hecta sen cho lãi gấp đôi trồng lúa. Sen Đồng Tháp được chế biến thành trà, mứt và bán "
         "khắp cả nước.", "Thanh Tâm"),
    Item("hx_hoadao", "baohaiduong", "25/1/2025",
         "Làng hoa đào Chí Linh vào vụ Tết",
         "Người trồng hoa đào ở Chí Linh tất bật chăm cây chuẩn bị cho thị trường Tết.",
         "Năm nay thời tiết thuận lợi, hoa nở đúng dịp. Không khí làng quê thanh bình, xe chở đào "
         "nối nhau về thành phố.", "Hải Yến"),
    # -- Long An, and "long … an" --------------------------------------------------------------
    Item("la_thanhlong", "baolongan", "4/4/2024",
         "Thanh long Long An được mùa, được giá",
         "Nông dân huyện Châu Thành, tỉnh Long An, lãi 200 triệu đồng mỗi hecta thanh long.",
         "Thanh long ruột đỏ được thương lái thu mua tại vườn để xuất sang Trung Quốc. Nhiều hộ áp "
         "dụng quy trình VietGAP, dùng đèn chiếu sáng để cây ra hoa trái vụ.", "Thanh Tâm"),
    Item("la_caotoc", "baolongan", "6/6/2024",
         "Long An đẩy nhanh tiến độ cao tốc Bến Lức – Long Thành",
         "Đoạn cao tốc Bến Lức – Long Thành qua địa bàn Long An đã hoàn thành hơn 90% khối lượng.",
         "Nhà thầu tăng ca để thông xe trước mùa mưa. Tỉnh đề nghị bảo đảm an toàn giao thông trên "
         "các tuyến đường tránh.", "Thanh Tâm"),
    Item("la_lua", "baolongan", "15/8/2024",
         "Long An xây dựng vùng lúa chất lượng cao",
         "Long An đặt mục tiêu có 100.000 ha lúa chất lượng cao, giảm phát thải vào năm 2030.",
         "Các hợp tác xã ở Tân Thạnh, Mộc Hóa liên kết với doanh nghiệp bao tiêu đầu ra. Nông dân "
         "được tập huấn giảm lượng giống và phân bón.", "Thanh Tâm"),
    Item("la_gialua", "baodongthap", "19/9/2024",
         "Giá lúa tăng, nông dân miền Tây phấn khởi",
         "Giá lúa thu đông tăng 500 đồng mỗi kg so với tháng trước.",
         "Ở Đồng Tháp và Long An, thương lái đặt cọc thu mua lúa ngay tại ruộng. Nông dân lo ngại "
         "chi phí phân bón còn ở mức cao.", "Bảo Ngọc"),
    Item("lx_longtrong", "baohaiduong", "10/5/2025",
         "Lễ kỷ niệm 50 năm thống nhất đất nước diễn ra long trọng",
         "Tỉnh tổ chức lễ kỷ niệm 50 năm ngày giải phóng miền Nam, thống nhất đất nước.",
         "Buổi lễ diễn ra long trọng tại quảng trường trung tâm. Lực lượng công an bảo đảm an ninh, "
         "trật tự suốt đêm.", "Hải Yến"),
    Item("lx_longbien", "baohatinh", "3/10/2024",
         "Xe khách Hà Tĩnh – Hà Nội tăng chuyến dịp lễ",
         "Các nhà xe tăng chuyến từ Hà Tĩnh ra Hà Nội, điểm cuối gần cầu Long Biên.",
         "Sở Giao thông vận tải yêu cầu các nhà xe không tăng giá vé, bảo đảm an toàn cho hành khách.",
         "Minh Châu"),
    Item("lx_longnhan", "baodongnai", "20/1/2025",
         "Kiểm tra an toàn thực phẩm dịp Tết",
         "Đoàn liên ngành kiểm tra các cơ sở làm mứt, bánh kẹo trên địa bàn tỉnh.",
         "Đoàn phát hiện một cơ sở dùng long nhãn không rõ nguồn gốc. Cơ quan chức năng yêu cầu các cơ "
         "sở bảo đảm an toàn thực phẩm cho người tiêu dùng.", "Ngọc Lan"),
    # -- Đồng Tháp, and "đồng … tháp" ------------------------------------------------------------
    Item("dt_sen", "baodongthap", "7/7/2024",
         "Đồng Tháp phát triển vùng sen Tháp Mười",
         "Tỉnh Đồng Tháp hiện có hơn 2.000 ha sen, tập trung ở huyện Tháp Mười.",
         "Nhiều hợp tác xã làm trà tim sen, bột ngó sen đạt chuẩn OCOP. Du khách về Tháp Mười có thể "
         "chèo xuồng ngắm sen, học làm nông dân một ngày.", "Bảo Ngọc"),
    Item("dt_xoai", "baodongthap", "12/3/2025",
         "Xoài Cao Lãnh xuất khẩu sang Hàn Quốc",
         "Lô xoài cát Chu đầu tiên của tỉnh Đồng Tháp năm nay đã xuất sang thị trường Hàn Quốc.",
         "Vùng trồng được cấp mã số, trái xoài được bao từ sớm để hạn chế thuốc bảo vệ thực vật.",
         "Bảo Ngọc"),
    Item("dt_sapnhap", "baodongthap", "29/6/2025",
         "Đồng Tháp và Tiền Giang hợp nhất thành tỉnh Đồng Tháp mới",
         "Tỉnh Đồng Tháp mới có trung tâm hành chính đặt tại thành phố Mỹ Tho.",
         "Người dân hai tỉnh kỳ vọng vùng cây ăn trái và lúa gạo sẽ được quy hoạch đồng bộ.", "Bảo Ngọc"),
    Item("tx_thapnuoc", "baohaiduong", "16/8/2024",
         "Khánh thành tháp nước sạch cho 3.000 hộ dân Thanh Hà",
         "Công trình cấp nước sạch tại xã Thanh Hồng được đưa vào sử dụng.",
         "Tháp nước cao 25 m, mỗi ngày cung cấp 1.200 m3 nước. Mỗi hộ đóng góp 2 triệu đồng để lắp "
         "đường ống vào nhà.", "Hải Yến"),
    Item("tx_kate", "baohatinh", "14/10/2024",
         "Đồng bào Chăm vui lễ hội Katê bên tháp cổ",
         "Hàng nghìn người về tháp Po Klong Garai dự lễ hội Katê.",
         "Nghi lễ rước y trang diễn ra trang nghiêm. Du khách được thưởng thức điệu múa quạt và tiếng "
         "trống Ghi-năng.", "Minh Châu"),
    # -- mới / mỗi ---------------------------------------------------------------------------------
    Item("mo_namhoc", "baohaiduong", "5/9/2024",
         "Học sinh Hải Dương bước vào năm học mới",
         "Hơn 470.000 học sinh trong tỉnh dự lễ khai giảng năm học 2024 – 2025.",
         "Nhiều trường có thêm phòng học mới và thiết bị dạy học hiện đại. Ngành giáo dục yêu cầu "
         "bảo đảm an toàn trường học.", "Hải Yến"),
    Item("mo_xe", "baonghean", "20/3/2024",
         "Xe buýt mới phục vụ tuyến Vinh – Cửa Lò",
         "Doanh nghiệp vận tải đưa 20 xe buýt mới chạy điện vào khai thác tuyến Vinh – Cửa Lò.",
         "Giá vé giữ nguyên 15.000 đồng một lượt. Học sinh, người cao tuổi được giảm một nửa.",
         "Minh Châu"),
    Item("mx_moingay", "baonghean", "26/3/2024",
         "Mỗi ngày một việc tốt",
         "Phong trào Mỗi ngày một việc tốt lan tỏa trong đoàn viên thanh niên Nghệ An.",
         "Mỗi đoàn viên đăng ký ít nhất một việc làm có ích cho cộng đồng. Mỗi tháng, chi đoàn bình "
         "chọn gương tiêu biểu để biểu dương.", "Minh Châu"),
    Item("mx_moiho", "baohatinh", "8/4/2024",
         "Mỗi hộ một bể chứa nước mưa",
         "Các xã vùng núi Hương Khê hỗ trợ mỗi hộ xây một bể chứa nước mưa.",
         "Mỗi bể có dung tích 6 m3, đủ cho một gia đình dùng trong mùa khô.", "Minh Châu"),
    # -- Bính, dông / đông / dong ------------------------------------------------------------------
    Item("bi_binhngo", "baohatinh", "15/1/2026",
         "Chợ hoa Tết Bính Ngọ đã sẵn sàng",
         "Các tiểu thương bày bán hoa, cây cảnh phục vụ Tết Bính Ngọ 2026.",
         "Năm nay giá đào, quất tăng nhẹ. Ban quản lý chợ bố trí thêm bãi xe cho khách.", "Minh Châu"),
    Item("dg_muadong", "baonghean", "15/5/2024",
         "Mưa dông làm tốc mái hàng chục ngôi nhà",
         "Chiều 15/5, mưa dông kèm lốc xoáy quét qua huyện Yên Thành.",
         "Hơn 40 ngôi nhà bị tốc mái, nhiều cây xanh bị đổ. Chính quyền huy động lực lượng giúp dân "
         "khắc phục hậu quả.", "Minh Châu"),
    Item("dg_muadongret", "baohatinh", "2/12/2024",
         "Chống rét cho đàn gia súc trong mùa đông",
         "Nông dân Hà Tĩnh che chắn chuồng trại, dự trữ rơm cỏ cho trâu bò trong mùa đông.",
         "Ngành nông nghiệp khuyến cáo không thả gia súc ra đồng khi nhiệt độ dưới 10 độ C.", "Minh Châu"),
    Item("dg_dongrieng", "baohaiduong", "11/11/2023",
         "Nông dân trồng dong riềng làm miến",
         "Cây dong riềng cho thu nhập khá trên đất bãi ven sông.",
         "Củ dong được xay lấy tinh bột để làm miến. Nông dân dong thuyền chở củ đi bán.", "Hải Yến"),
    Item("dg_phiadong", "baohaiduong", "30/10/2024",
         "Thành phố mở rộng không gian về phía đông",
         "Quy hoạch mới đưa khu đô thị phía đông thành trung tâm thương mại của thành phố.",
         "Các tuyến đường kết nối với cao tốc Hà Nội – Hải Phòng được ưu tiên đầu tư.", "Hải Yến"),
    # -- Thuý / Thúy / thủy, uỷ / ủy / uy --------------------------------------------------------
    Item("ty_vai", "baohaiduong", "12/6/2024",
         "Nữ nông dân Kim Thành làm giàu từ vải thiều",
         "Chị Nguyễn Thị Thuý ở huyện Kim Thành thu hơn 800 triệu đồng từ vườn vải.",
         "Chị Thuý bán vải qua mạng xã hội, giao hàng cho khách ở Hà Nội trong ngày.", "Hải Yến"),
    Item("ty_cogiao", "baodongthap", "20/11/2024",
         "Cô giáo vùng biên dạy chữ cho trẻ khuyết tật",
         "Cô Lê Thị Thúy, giáo viên Trường Tiểu học Thường Phước, gắn bó với lớp học hòa nhập 15 năm.",
         "Cô Thúy tự làm đồ dùng học tập để các em dễ tiếp thu.", "Bảo Ngọc"),
    Item("ty_thuyloi", "baohoabinh", "2/4/2024",
         "Nạo vét kênh thủy lợi trước mùa mưa",
         "Công ty thủy lợi tỉnh nạo vét hơn 50 km kênh mương nội đồng.",
         "Các hồ chứa thủy lợi và thủy điện được kiểm tra an toàn trước mùa mưa bão.", "Đức Thịnh"),
    Item("uy_ubnd", "baonghean", "9/1/2025",
         "Uỷ ban nhân dân huyện đối thoại với nông dân",
         "Uỷ ban nhân dân huyện Nghi Lộc tổ chức đối thoại với hơn 200 nông dân.",
         "Bà con kiến nghị về giá vật tư và đầu ra cho nông sản. Lãnh đạo huyện ủy ghi nhận, hứa giải "
         "quyết trong quý I.", "Minh Châu"),
    Item("uy_mttq", "baolongan", "20/1/2025",
         "Ủy ban MTTQ tỉnh Long An trao quà Tết cho hộ nghèo",
         "Ủy ban Mặt trận Tổ quốc tỉnh Long An trao 5.000 phần quà cho hộ nghèo đón Tết.",
         "Mỗi phần quà trị giá 500.000 đồng gồm tiền mặt và nhu yếu phẩm.", "Thanh Tâm"),
    Item("ux_uytin", "baohatinh", "5/8/2024",
         "Doanh nghiệp giữ uy tín với khách hàng",
         "Một công ty chế biến hải sản ở Kỳ Anh giữ được uy tín nhờ kiểm soát chất lượng.",
         "Ban giám đốc yêu cầu mỗi lô hàng phải được kiểm nghiệm trước khi xuất xưởng.", "Minh Châu"),
    Item("uy_tinhuy", "baohaiduong", "28/12/2024",
         "Tỉnh uỷ Hải Dương tổng kết công tác năm 2024",
         "Ban Chấp hành Đảng bộ tỉnh họp hội nghị tổng kết công tác năm 2024.",
         "Hội nghị đánh giá tăng trưởng kinh tế đạt 10,2%, cao nhất vùng đồng bằng sông Hồng.", "Hải Yến"),
    # -- Kim Thành, and "kim … thành" ------------------------------------------------------------
    Item("kt_huyenuy", "baohaiduong", "15/12/2024",
         "Huyện ủy Kim Thành tổng kết công tác xây dựng Đảng",
         "Huyện ủy Kim Thành tổ chức hội nghị tổng kết công tác xây dựng Đảng năm 2024.",
         "Toàn huyện kết nạp 180 đảng viên mới, hoàn thành chỉ tiêu đề ra.", "Hải Yến"),
    Item("kt_cau", "baohaiduong", "2/10/2024",
         "Khởi công cầu vượt sông Rạng nối Kim Thành với Kinh Môn",
         "Cây cầu dài 600 m giúp người dân hai huyện không phải đi vòng hơn 10 km.",
         "Dự án dự kiến hoàn thành vào cuối năm 2026.", "Hải Yến"),
    Item("kx_kimhoan", "baonghean", "3/5/2024",
         "Kiểm tra cửa hàng vàng bạc kim hoàn ở thành phố Vinh",
         "Đoàn kiểm tra phát hiện ba cửa hàng không niêm yết giá bán vàng.",
         "Các cửa hàng phải hoàn thành việc kê khai trước ngày 15/5.", "Minh Châu"),
    # -- more news of the same provinces -----------------------------------------------------------
    Item("bd_cn", "baobinhduong", "11/3/2024",
         "Khu công nghiệp Bàu Bàng mở rộng thêm 1.000 ha",
         "Dự án mở rộng khu công nghiệp Bàu Bàng được chấp thuận chủ trương đầu tư.",
         "Khu công nghiệp dự kiến thu hút các nhà đầu tư về điện tử và năng lượng sạch.", "Tuấn Kiệt"),
    Item("hb_muong", "baohoabinh", "1/10/2024",
         "Giữ gìn tiếng cồng chiêng của người Mường",
         "Các câu lạc bộ cồng chiêng ở Tân Lạc được duy trì sinh hoạt đều đặn.",
         "Nghệ nhân dạy các bài chiêng cổ cho học sinh vào dịp hè. Nhiều gia đình còn giữ bộ chiêng "
         "truyền đời.", "Đức Thịnh"),
    Item("dn_caosu2", "baodongnai", "7/3/2025",
         "Nông dân Xuân Lộc thu hoạch tiêu",
         "Hơn 3.000 ha hồ tiêu ở Xuân Lộc vào vụ thu hoạch chính.",
         "Giá tiêu đang ở mức 140.000 đồng một kg, nông dân có lãi khá.", "Quang Huy"),
    Item("la_muoi", "baolongan", "2/3/2024",
         "Chủ động phòng chống xâm nhập mặn",
         "Các địa phương ven biển của tỉnh đắp đập tạm ngăn mặn bảo vệ vườn cây ăn trái.",
         "Ngành nông nghiệp khuyến cáo nông dân trữ nước ngọt, theo dõi độ mặn mỗi ngày.", "Thanh Tâm"),
    Item("dt_camp", "baodongthap", "25/12/2024",
         "Làng hoa Sa Đéc rộn ràng vào vụ Tết",
         "Nông dân làng hoa Sa Đéc xuống giống hàng triệu chậu hoa phục vụ Tết.",
         "Năm nay nhiều giống hoa mới được đưa vào trồng thử.", "Bảo Ngọc"),
    Item("hd_vai", "baohaiduong", "20/6/2024",
         "Vải thiều Thanh Hà vào vụ thu hoạch",
         "Vải thiều Thanh Hà năm nay được mùa, giá bán từ 30.000 đến 40.000 đồng một kg.",
         "Thương lái từ các tỉnh về tận vườn thu mua. Một phần sản lượng được xuất sang Nhật Bản.",
         "Hải Yến"),
    Item("na_duongsat", "baonghean", "6/9/2024",
         "Sửa chữa đường sắt qua Nghệ An sau bão",
         "Ngành đường sắt khẩn trương khắc phục đoạn tuyến bị sạt lở.",
         "Các đoàn tàu chạy chậm qua khu vực thi công để bảo đảm an toàn.", "Minh Châu"),
    Item("ht_bien", "baohatinh", "1/6/2024",
         "Biển Thiên Cầm đón khách du lịch hè",
         "Bãi biển Thiên Cầm đón hàng nghìn lượt khách mỗi cuối tuần.",
         "Các nhà hàng niêm yết giá công khai, lực lượng cứu hộ túc trực suốt ngày.", "Minh Châu"),
)


def day_of(text: str) -> datetime:
    d, m, y = (int(x) for x in text.split("/"))
    return datetime(y, m, d, 8, 0, tzinfo=VN_TZ)


def records() -> list[ArticleRecord]:
    """The corpus as records, in order (ids follow it)."""
    domains = {s[0]: s[2] for s in SOURCES}
    out = []
    for n, a in enumerate(ARTICLES):
        url = f"https://{domains[a.site]}/{a.key.replace('_', '-')}-{n + 1}.html"
        out.append(ArticleRecord(url=url, canonical_url=url, site=a.site, title=a.title, description=a.lead,
                                 author=a.author, published_at=day_of(a.day), section="Tin tức",
                                 language="vi", text=a.body, word_count=len(a.body.split()),
                                 content_sha256=sha256_text(a.body)))
    return out


def load(session: Session) -> dict[str, int]:
    """Write the sources and articles into an upgraded archive; returns article id by key."""
    now = datetime(2026, 1, 20, tzinfo=VN_TZ)
    for sid, name, domain, before, after in SOURCES:
        session.add(Source(id=sid, name=name, domain=domain, province_before=before,
                           province_after=after, created_at=now, updated_at=now))
    session.flush()
    upsert_articles(session, records(), now=now)
    return ids_by_key(session)


def ids_by_key(session: Session) -> dict[str, int]:
    """Article id by key (ids depend on the database's sequence, keys do not)."""
    by_url = dict(session.execute(select(Article.canonical_url, Article.id)).all())
    return {a.key: by_url[r.canonical_url] for a, r in zip(ARTICLES, records(), strict=True)}
