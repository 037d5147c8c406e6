"""Judged queries of the relevance set: query → {article key: grade}; unlisted articles are 0.

Grades, judged by reading each article (never by running the search):

- 2: the article is about what the query names: it stands in the title or the lead, side by
  side and with the diacritics typed (either tone placement: "Hoà"/"Hòa");
- 1: it is named in the body only (a mention), or the query's words stand there in another sense
  ("cuộc sống hòa bình" for "hòa bình");
- 0: the words only stand apart ("cánh đồng … nai lưng"), in reverse ("Bình Hòa"), across
  punctuation ("Lưu Bình - Dương Lễ"), or with other tones ("mỗi" for "mới", "Bính" for "bình").

A query typed without diacritics names what its syllables spell side by side ("dong nai" is
Đồng Nai); its grades are those of the same query with diacritics.
"""

from __future__ import annotations

Grades = dict[str, int]

DONG_NAI: Grades = {"dn_caotoc": 2, "dn_xuatkhau": 2, "dn_sanbay": 2, "dn_song": 2, "dn_cau": 2, "dn_caosu": 1}
BINH_DUONG: Grades = {"bd_fdi": 2, "bd_thongminh": 2, "bd_sapnhap": 2, "dn_cau": 2, "dn_song": 1, "dn_caosu": 1}
HOA_BINH: Grades = {"hb_dulich": 2, "hb_cam": 2, "hb_sapnhap": 2, "hb_nghean": 1, "bx_cuuchienbinh": 1}
LONG_AN: Grades = {"la_thanhlong": 2, "la_caotoc": 2, "la_lua": 2, "uy_mttq": 2, "la_gialua": 1}
DONG_THAP: Grades = {"dt_sen": 2, "dt_xoai": 2, "dt_sapnhap": 2, "la_gialua": 1, "hx_binhhoa": 1}
KIM_THANH: Grades = {"kt_huyenuy": 2, "kt_cau": 2, "ty_vai": 2}
MOI: Grades = {  # "mới" (new); "mỗi" (each) is another word
    "mo_namhoc": 2, "mo_xe": 2, "hx_binhgiang": 2, "dt_sapnhap": 2, "dg_phiadong": 2,
    "dn_xuatkhau": 1, "dn_sanbay": 1, "bd_fdi": 1, "bd_sapnhap": 1, "hb_sapnhap": 1, "kt_huyenuy": 1,
    "dt_camp": 1,
}
UY_BAN: Grades = {"uy_ubnd": 2, "uy_mttq": 2, "hb_sapnhap": 1}
THUY: Grades = {"ty_vai": 2, "ty_cogiao": 2}


def union(*grades: Grades) -> Grades:
    out: Grades = {}
    for g in grades:
        for k, v in g.items():
            out[k] = max(out.get(k, 0), v)
    return out


JUDGMENTS: dict[str, Grades] = {
    # Province names that are also common words, with and without diacritics.
    "dong nai": DONG_NAI, "Đồng Nai": DONG_NAI, "đồng nai": DONG_NAI,
    "binh duong": BINH_DUONG, "Bình Dương": BINH_DUONG, '"bình dương"': BINH_DUONG,
    "dong nai OR binh duong": union(DONG_NAI, BINH_DUONG),
    "hoà bình": HOA_BINH, "hòa bình": HOA_BINH, "Hoà Bình": HOA_BINH, "hoa binh": HOA_BINH,
    "long an": LONG_AN, "Long An": LONG_AN,
    "dong thap": DONG_THAP, "Đồng Tháp": DONG_THAP,
    "hòa bình OR long an": union(HOA_BINH, LONG_AN),
    "đồng tháp OR long an": union(DONG_THAP, LONG_AN),
    "Bình Dương AND Đồng Nai": {"dn_cau": 2, "dn_song": 1, "dn_caosu": 1},
    # Tone-only differences.
    "mới": MOI,
    "mỗi": {"mx_moingay": 2, "mx_moiho": 2, "dx_huounai": 2, "bx_cheo": 2, "bx_cuuchienbinh": 2,
            "uy_mttq": 1, "dn_song": 1, "dn_cau": 1, "dx_nailung": 1, "bd_thongminh": 1, "hb_dulich": 1,
            "hb_cam": 1, "hx_binhhoa": 1, "la_thanhlong": 2, "la_gialua": 2, "tx_thapnuoc": 1, "ux_uytin": 1,
            "la_muoi": 1, "ht_bien": 2},
    "bính": {"bx_cuuchienbinh": 2, "bi_binhngo": 2},
    "Bính Ngọ": {"bi_binhngo": 2},
    # đ/d and tones: dông (storm), đông (winter, east), dong (arrowroot), đồng.
    "mưa dông": {"dg_muadong": 2},
    "mùa đông": {"dg_muadongret": 2},
    "dông": {"dg_muadong": 2},
    "đông": {"dg_muadongret": 2, "dg_phiadong": 2, "la_gialua": 2},
    "dong riềng": {"dg_dongrieng": 2},
    # Old and new tone placement.
    "thuý": THUY, "thúy": THUY,
    "thủy lợi": {"ty_thuyloi": 2},
    "uỷ ban": UY_BAN, "ủy ban": UY_BAN,
    "tỉnh ủy": {"uy_tinhuy": 2, "hb_sapnhap": 1},
    "huyện uỷ": {"kt_huyenuy": 2, "uy_ubnd": 1},
    # Syllables side by side versus apart.
    "kim thanh": KIM_THANH, "Kim Thành": KIM_THANH,
    "kim AND thanh": {**KIM_THANH, "kx_kimhoan": 1, "dn_xuatkhau": 1},
    "nông thôn mới": {"hx_binhgiang": 2},
    "cao tốc": {"dn_caotoc": 2, "la_caotoc": 2, "dg_phiadong": 1},
    "sân bay long thành": {"dn_sanbay": 2},
    "long thành": {"dn_sanbay": 2, "la_caotoc": 2, "dn_caotoc": 1},
    "thanh long": {"la_thanhlong": 2},
    "tháp nước": {"tx_thapnuoc": 2},
    "con nai": {"dx_huounai": 1},
    "lưu bình dương lễ": {"bx_cheo": 1},
    '"lưu bình"': {"bx_cheo": 1},
    "cam cao phong": {"hb_cam": 2},
    "khu công nghiệp": {"bd_cn": 2, "bd_fdi": 1},
    "vải thiều": {"hd_vai": 2, "ty_vai": 2},
    "du lịch cộng đồng": {"hb_nghean": 2},
    "an toàn thực phẩm": {"lx_longnhan": 2},
    "thanh hà": {"hd_vai": 2, "tx_thapnuoc": 2},
}
