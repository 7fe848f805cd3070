"""Old Vietnamese font encodings: TCVN3 and VNI tables, conversion, detection, fonts."""
import unicodedata

import pytest

from sitegen.importers.legacy import caps_font, detect, fix_legacy, legacy_font, to_unicode

# A second copy of the facts, in another form than the module's, so a slip in either shows.
# TCVN3 (VN3): byte -> Unicode code point, copied from glibc localedata/charmaps/TCVN5712-1
# (VN3 is that table without the toned capitals and the combining marks; UniKey's TCVN3
# table in fcitx5-unikey unikey/data.cpp gives the same 74 codes).
TCVN3_HEX = """
a1 0102  a2 00c2  a3 00ca  a4 00d4  a5 01a0  a6 01af  a7 0110  a8 0103
a9 00e2  aa 00ea  ab 00f4  ac 01a1  ad 01b0  ae 0111  b5 00e0  b6 1ea3
b7 00e3  b8 00e1  b9 1ea1  bb 1eb1  bc 1eb3  bd 1eb5  be 1eaf  c6 1eb7
c7 1ea7  c8 1ea9  c9 1eab  ca 1ea5  cb 1ead  cc 00e8  ce 1ebb  cf 1ebd
d0 00e9  d1 1eb9  d2 1ec1  d3 1ec3  d4 1ec5  d5 1ebf  d6 1ec7  d7 00ec
d8 1ec9  dc 0129  dd 00ed  de 1ecb  df 00f2  e1 1ecf  e2 00f5  e3 00f3
e4 1ecd  e5 1ed3  e6 1ed5  e7 1ed7  e8 1ed1  e9 1ed9  ea 1edd  eb 1edf
ec 1ee1  ed 1edb  ee 1ee3  ef 00f9  f1 1ee7  f2 0169  f3 00fa  f4 1ee5
f5 1eeb  f6 1eed  f7 1eef  f8 1ee9  f9 1ef1  fa 1ef3  fb 1ef7  fc 1ef9
fd 00fd  fe 1ef5
"""
TCVN3_BYTES = {int(b, 16): chr(int(u, 16)) for b, u in zip(*[iter(TCVN3_HEX.split())] * 2)}

# VNI Windows as composition rules (UniKey VNI-WIN table, fcitx5-unikey unikey/data.cpp):
# a letter is its base followed by one modifier byte; capitals use the capital base and the
# modifier 0x20 lower (the Latin-1 capital). ơ ư đ, the toned i and ỵ have single bytes.
GRAVE, ACUTE, HOOK, TILDE, DOT = "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"
CIRCUMFLEX, BREVE, HORN = "\u0302", "\u0306", "\u031b"
VNI_TONE = {"": None, ACUTE: 0xF9, GRAVE: 0xF8, HOOK: 0xFB, TILDE: 0xF5, DOT: 0xEF}
VNI_CIRCUMFLEX = {"": 0xE2, ACUTE: 0xE1, GRAVE: 0xE0, HOOK: 0xE5, TILDE: 0xE3, DOT: 0xE4}
VNI_BREVE = {"": 0xEA, ACUTE: 0xE9, GRAVE: 0xE8, HOOK: 0xFA, TILDE: 0xFC, DOT: 0xEB}
VNI_I = {"": ord("i"), ACUTE: 0xED, GRAVE: 0xEC, HOOK: 0xE6, TILDE: 0xF3, DOT: 0xF2}
VNI_HORN_BASE = {"o": 0xF4, "u": 0xF6}  # ơ, ư
VNI_D_STROKE, VNI_Y_DOT = 0xF1, 0xEE  # đ, ỵ

TONES = ("", GRAVE, ACUTE, HOOK, TILDE, DOT)


def vietnamese_letters() -> list[str]:
    """Every Vietnamese letter with a diacritic, lower and upper case: 134 of them."""
    bases = ["a", "a" + BREVE, "a" + CIRCUMFLEX, "e", "e" + CIRCUMFLEX, "i", "o",
             "o" + CIRCUMFLEX, "o" + HORN, "u", "u" + HORN, "y"]
    lower = [unicodedata.normalize("NFC", b + t) for b in bases for t in TONES]
    lower = [c for c in lower if not c.isascii()] + ["đ"]
    return lower + [c.upper() for c in lower]


def vni_encode_letter(letter: str) -> bytes:
    if letter in "đĐ":
        return bytes([VNI_D_STROKE - (0x20 if letter == "Đ" else 0)])
    decomposed = unicodedata.normalize("NFD", letter)
    base, marks = decomposed[0], decomposed[1:]
    if base.isascii() and not marks:
        return base.encode()
    shift = 0x20 if base.isupper() else 0
    base = base.lower()
    tone = next((m for m in marks if m in (GRAVE, ACUTE, HOOK, TILDE, DOT)), "")
    if base == "i":
        return bytes([VNI_I[tone] - shift if tone else ord(letter)])
    if base == "y" and tone == DOT:
        return bytes([VNI_Y_DOT - shift])
    if HORN in marks:
        head = bytes([VNI_HORN_BASE[base] - shift])
        return head + (bytes([VNI_TONE[tone] - shift]) if tone else b"")
    head = (base.upper() if shift else base).encode()
    if CIRCUMFLEX in marks:
        return head + bytes([VNI_CIRCUMFLEX[tone] - shift])
    if BREVE in marks:
        return head + bytes([VNI_BREVE[tone] - shift])
    return head + bytes([VNI_TONE[tone] - shift])


def vni_encode(text: str) -> str:
    """Unicode -> VNI, as the text reads when its bytes are decoded as cp1252."""
    return b"".join(vni_encode_letter(c) if not c.isascii() else c.encode()
                    for c in unicodedata.normalize("NFC", text)).decode("cp1252")


TCVN3_CODE = {u: b for b, u in TCVN3_BYTES.items()}


def tcvn3_encode(text: str) -> str:
    """Unicode -> TCVN3 as typed in .VnTime/.VnTimeH: toned capitals use the lowercase code."""
    out = bytearray()
    for c in unicodedata.normalize("NFC", text):
        if c.isascii():
            out += c.encode()
        else:
            out.append(TCVN3_CODE.get(c) or TCVN3_CODE[c.lower()])
    return out.decode("cp1252")


LETTERS = vietnamese_letters()
TCVN3_CAPITALS = set("ĂÂĐÊÔƠƯ")


def test_the_letter_list_is_complete():
    assert len(LETTERS) == 134 == len(set(LETTERS))
    assert {"ặ", "Ặ", "ữ", "Ữ", "ỵ", "Ỵ", "đ", "Đ", "ơ", "Ơ", "ẫ", "Ẫ"} <= set(LETTERS)


# --- Known strings: the brief's, and published pairs from outside sources --------------------

KNOWN = [
    # The site's own names and dates, worked out from the two tables.
    ("tcvn3", "C«ng ®oµn Viªn chøc tØnh Sãc Tr¨ng", "Công đoàn Viên chức tỉnh Sóc Trăng"),
    ("tcvn3", "Liªn ®oµn Lao ®éng", "Liên đoàn Lao động"),
    ("tcvn3", "§¹i héi", "Đại hội"),
    ("tcvn3", "ng\xadêi lao ®éng", "người lao động"),
    ("tcvn3", "Thø T\xad, 25/12/2019", "Thứ Tư, 25/12/2019"),
    ("vni", "Coâng ñoaøn Vieân chöùc tænh Soùc Traêng", "Công đoàn Viên chức tỉnh Sóc Trăng"),
    ("vni", "Lieân ñoaøn Lao ñoäng", "Liên đoàn Lao động"),
    ("vni", "Ñaïi hoäi", "Đại hội"),
    ("vni", "ngöôøi lao ñoäng", "người lao động"),
    ("vni", "Thöù Tö, 25/12/2019", "Thứ Tư, 25/12/2019"),
    # Published: duydev/vietnamese-conversion example/basic-usage.js and README.
    ("tcvn3", "TiÕng ViÖt rÊt hay", "Tiếng Việt rất hay"),
    ("vni", "Tieáng Vieät raát hay", "Tiếng Việt rất hay"),
    ("vni", "Xin chaøo caùc baïn", "Xin chào các bạn"),
    # Published: Ductrung03/DuBaoMatRung server/test.js (district names of Lào Cai).
    ("tcvn3", "B¶o Th¾ng", "Bảo Thắng"),
    ("tcvn3", "M\xadêng Kh\xad¬ng", "Mường Khương"),
    ("tcvn3", "B¸t X¸t", "Bát Xát"),
    # The national motto as old administrative documents carry it, in both encodings.
    ("tcvn3", "Céng hßa x· héi chñ nghÜa ViÖt Nam", "Cộng hòa xã hội chủ nghĩa Việt Nam"),
    ("tcvn3", "§éc lËp - Tù do - H¹nh phóc", "Độc lập - Tự do - Hạnh phúc"),
    ("vni", "Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam", "Cộng hòa xã hội chủ nghĩa Việt Nam"),
    ("vni", "COÄNG HOØA XAÕ HOÄI CHUÛ NGHÓA VIEÄT NAM", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
    ("vni", "Ñoäc laäp - Töï do - Haïnh phuùc", "Độc lập - Tự do - Hạnh phúc"),
    ("tcvn3", "QuyÕt ®Þnh cña Bé tr\xadëng Bé Tµi chÝnh", "Quyết định của Bộ trưởng Bộ Tài chính"),
    ("tcvn3", "Liªn ®oµn bãng ®¸ thÕ giíi viÕt t¾t lµ", "Liên đoàn bóng đá thế giới viết tắt là"),
    ("vni", "ñöôïc nhöõng Chæ thò Myõ", "được những Chỉ thị Mỹ"),
    ("vni", "Ñaø Naüng", "Đà Nẵng"),
    ("vni", "thuyû", "thuỷ"),
    ("vni", "COÂNG TY SAÛN PHAÅM MAÙY TÍNH FUJITSU VIEÄT NAM",
     "CÔNG TY SẢN PHẨM MÁY TÍNH FUJITSU VIỆT NAM"),
]


@pytest.mark.parametrize("encoding, legacy, unicode", KNOWN)
def test_known_strings_convert(encoding, legacy, unicode):
    assert to_unicode(legacy, encoding) == unicode


@pytest.mark.parametrize("encoding, legacy, unicode", KNOWN)
def test_known_strings_match_the_test_encoders(encoding, legacy, unicode):
    encode = tcvn3_encode if encoding == "tcvn3" else vni_encode
    assert encode(unicode) == legacy


def test_bytes_read_as_cp1252_are_what_the_module_sees():
    assert b"C\xabng \xaeo\xb5n".decode("cp1252") == "C«ng ®oµn"
    assert to_unicode(b"C\xabng \xaeo\xb5n".decode("latin-1"), "tcvn3") == "Công đoàn"
    assert to_unicode(b"Co\xe2ng \xf1oa\xf8n".decode("cp1252"), "vni") == "Công đoàn"


# --- Tables: every letter, both ways -------------------------------------------------------

@pytest.mark.parametrize("code, letter", sorted(TCVN3_BYTES.items()))
def test_every_tcvn3_code(code, letter):
    assert to_unicode(chr(code), "tcvn3") == letter


def test_tcvn3_round_trip_over_every_letter():
    for letter in LETTERS:
        legacy = tcvn3_encode(letter)
        assert len(legacy) == 1
        if letter.islower() or letter in TCVN3_CAPITALS:
            assert to_unicode(legacy, "tcvn3") == letter
        else:  # a toned capital: the lowercase code, drawn as a capital by the H font
            assert to_unicode(legacy, "tcvn3") == letter.lower()
        assert to_unicode(legacy, "tcvn3", upper=True) == letter.upper()


def test_vni_round_trip_over_every_letter():
    for letter in LETTERS:
        assert to_unicode(vni_encode(letter), "vni") == letter, (letter, vni_encode(letter))


def test_round_trip_over_every_letter_inside_words():
    # Letters side by side test the longest match: ươ, uô, iê, ơ + tone after ư ...
    text = " ".join("b" + a + b + "ng" for a, b in zip(LETTERS, LETTERS[1:] + LETTERS[:1]))
    text += " người được trường Nguyễn Thị Huyền Trang ĐƯỜNG KHƯƠNG TRUNG QUẢNG NGÃI"
    assert to_unicode(vni_encode(text), "vni") == text
    assert to_unicode(tcvn3_encode(text.lower()), "tcvn3") == text.lower()
    assert to_unicode(tcvn3_encode(text.lower()), "tcvn3", upper=True) == text.upper()


def test_characters_outside_the_set_pass_unchanged():
    assert to_unicode("Hello, world! 25/12/2019 €", "tcvn3") == "Hello, world! 25/12/2019 €"
    assert to_unicode("Hello, world! 25/12/2019 €", "vni") == "Hello, world! 25/12/2019 €"
    # VN1's toned capitals and combining marks are not TCVN3 (VN3): À, Á, à stay.
    assert to_unicode("\xc0\xc1\xe0\xb0", "tcvn3") == "\xc0\xc1\xe0\xb0"
    # A VNI modifier without a base, or after a letter that takes none, is left alone.
    assert to_unicode("ù bù", "vni") == "ù bù"
    assert to_unicode("[x] €… “quotes” — ©", "vni") == "[x] €… “quotes” — ©"


def test_output_is_nfc():
    for encoding, legacy, _ in KNOWN:
        out = to_unicode(legacy, encoding)
        assert unicodedata.is_normalized("NFC", out)


def test_unknown_encoding_is_an_error():
    with pytest.raises(ValueError):
        to_unicode("abc", "viscii")


# --- Detection ------------------------------------------------------------------------------

ARTICLE = (
    "Ngày 25-12, Công đoàn viên chức tỉnh tổ chức tổng kết phong trào cán bộ, công chức, "
    "viên chức, lao động và hoạt động công đoàn năm 2019; triển khai nhiệm vụ năm 2020. "
    "Năm 2019, Công đoàn viên chức tỉnh tiếp tục thực hiện tốt việc theo dõi, quản lý và chỉ "
    "đạo hoạt động đối với công đoàn cơ sở trực thuộc; công tác chăm lo, bảo vệ quyền và lợi "
    "ích hợp pháp, chính đáng của người lao động được chú trọng."
)

LEGACY_SENTENCES = [
    ("tcvn3", "C«ng ®oµn Viªn chøc tØnh Sãc Tr¨ng"),
    ("tcvn3", "Céng hßa x· héi chñ nghÜa ViÖt Nam"),
    ("tcvn3", "B¸o c¸o tµi chÝnh quý II n¨m 2008"),
    ("tcvn3", "Liªn ®oµn bãng ®¸ thÕ giíi viÕt t¾t lµ"),
    ("tcvn3", "ng\xadêi lao ®éng"),
    ("tcvn3", tcvn3_encode(ARTICLE)),
    ("tcvn3", tcvn3_encode("ĐẠI HỘI CÔNG ĐOÀN TỈNH SÓC TRĂNG LẦN THỨ X".lower())),
    ("vni", "Coâng ñoaøn Vieân chöùc tænh Soùc Traêng"),
    ("vni", "Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam"),
    ("vni", "COÄNG HOØA XAÕ HOÄI CHUÛ NGHÓA VIEÄT NAM"),
    ("vni", "ñöôïc nhöõng Chæ thò Myõ"),
    ("vni", "Xin chaøo caùc baïn"),
    ("vni", vni_encode(ARTICLE)),
    ("vni", vni_encode("Chủ tịch HĐND tỉnh")),
]


@pytest.mark.parametrize("encoding, text", LEGACY_SENTENCES)
def test_detects_legacy_sentences(encoding, text):
    assert detect(text) == encoding
    assert fix_legacy(text) == (to_unicode(text, encoding), encoding)


NOT_LEGACY = [
    ARTICLE,
    "Công đoàn Viên chức tỉnh Sóc Trăng tổ chức Đại hội, người lao động phấn khởi.",
    "Thanh Hoá, Khánh Hoà, Hoà Bình: hoà bình, hoá học, toà án.",   # old-style tones
    "Bà Hà có cá, Thanh Hoá và Khánh Hoà.",                          # Latin-1 letters only
    unicodedata.normalize("NFD", ARTICLE),
    "«Où est la gare?» demanda-t-il. C'est là-bas, près du café où nous avons goûté une crème.",
    "Le garçon naïf a reçu un coût élevé en août; l'égoïste héroïne de Noël à Israël.",
    "Señor García, ¡Feliz Año Nuevo! ¿Qué tal el niño? Mañana vamos a España, aún no sé.",
    "Der Mädchenchor übt täglich; »Grüß Gott«, sagte die Bäckerin. Straße, Größe, Ökonomie.",
    "Donau\xaddampf\xadschiff\xadfahrt und Ver\xadsi\xadche\xadrung der Ge\xadsell\xadschaft",
    "Microsoft® Office and Coca-Cola® are trademarks; © 2020 Acme Inc. 5 µm, 10 µg, 25 °C.",
    "Ela não pôs as mãos nas lições; São Paulo e Camões, 1ª edição.",
    "La col·lecció d'il·lusions és a la plaça.",
    "Smørrebrød og rødgrød med fløde; Søren, Bjørn, Århus.",
    "Cliché résumé façade jalapeño piñata über Ärger Öl",
    "Coca-Cola®Zero and Pepsi®Max",                                  # ® never inside a word
    "Il a dit «bonjour», «merci» et «au revoir»",                   # quotes open words
    "¡Hola, amigo! ¡Qué bueno! ¡Vamos!",
    "Sensors of 5 µm and 10 µs",
    # Two footnote marks (¹ is TCVN3's ạ after a letter) in a long text are a small share.
    "As the survey by Nguyen¹ shows, and the later study by Tran¹ confirms, union membership "
    "among public servants in the province rose steadily between 2016 and 2021, while the "
    "number of grassroots unions stayed about the same over the whole of that period.",
    # A Unicode article quoting mojibake: as many Unicode words as legacy ones, left alone.
    "Chữ «C«ng ®oµn» là lỗi phông cũ",
    "Señor", "Año Nuevo", "niño", "«guillemets»", "naïve", "où", "Sprite®", "®", "µ", "C«ng",
    "Plain ASCII text with no accents at all.", "", "   ",
]


@pytest.mark.parametrize("text", NOT_LEGACY)
def test_does_not_fire_on_other_text(text):
    assert detect(text) is None
    assert fix_legacy(text) == (text, None)


def test_unicode_text_passes_through_fix_legacy_unchanged():
    text = "Đại hội Công đoàn Việt Nam lần thứ XIII — người lao động, Thứ Tư, 25/12/2019"
    out, encoding = fix_legacy(text)
    assert out is text and encoding is None
    assert fix_legacy(text, ["Times New Roman"]) == (text, None)
    assert fix_legacy(text, [".VnTime"]) == (text, None)   # the letters outrank the font


# --- Fonts ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name, encoding", [
    (".VnTime", "tcvn3"), (".VnTimeH", "tcvn3"), (".VnArial", "tcvn3"),
    (".VnArial NarrowH", "tcvn3"), (".vntime", "tcvn3"), ("'.VnTime'", "tcvn3"),
    (" .VNARIALH ", "tcvn3"),
    ("VNI-Times", "vni"), ("VNI-Helve", "vni"), ("vni-times", "vni"), ("VNI Times", "vni"),
    ('"VNI-Helve-Condense"', "vni"),
    ("Times New Roman", None), ("Arial", None), ("VNIX", None), ("Vn Time", None), ("", None),
])
def test_legacy_font(name, encoding):
    assert legacy_font(name) == encoding


@pytest.mark.parametrize("name, caps", [
    (".VnTimeH", True), (".VnArialH", True), (".VnArial NarrowH", True), (".vntimeh", True),
    (".VnTime", False), (".VnArial", False), ("VNI-Times", False), ("ARIALH", False),
])
def test_caps_font(name, caps):
    assert caps_font(name) is caps


def test_fonts_settle_short_text():
    short = "Thø T\xad, 25/12/2019"
    assert detect(short) is None                     # one odd word is not enough alone
    assert detect(short, [".VnTime"]) == "tcvn3"
    assert detect(short, ".VnTime, serif") == "tcvn3"  # a CSS font-family string
    assert detect("Thöù Tö", ["Arial", "VNI-Times"]) == "vni"
    assert detect("Thanh Hoa", ["VNI-Times"]) == "vni"
    assert detect("Thanh Hoa") is None


def test_other_fonts_leave_it_to_the_text():
    assert detect("C«ng ®oµn Viªn chøc tØnh", ["Times New Roman"]) == "tcvn3"
    assert detect("Señor García", ["Times New Roman"]) is None
    mixed = "Coâng ñoaøn Vieân chöùc tænh Soùc Traêng"
    assert detect(mixed, [".VnTime", "VNI-Times"]) == "vni"


def test_fix_legacy_with_fonts():
    assert fix_legacy("Thø T\xad, 25/12/2019", [".VnTime"]) == ("Thứ Tư, 25/12/2019", "tcvn3")
    assert fix_legacy("§¹i héi", [".VnTime"]) == ("Đại hội", "tcvn3")
    assert fix_legacy("Ñaïi hoäi", ["VNI-Times"]) == ("Đại hội", "vni")


def test_capitals_font_gives_capitals():
    heading = "céng hßa x· héi chñ nghÜa viÖt nam"
    assert fix_legacy(heading, [".VnTimeH"]) == ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "tcvn3")
    assert fix_legacy(heading, [".VnTime"]) == ("cộng hòa xã hội chủ nghĩa việt nam", "tcvn3")
    # Without a font nothing says the glyphs were capitals.
    assert fix_legacy(heading)[0] == "cộng hòa xã hội chủ nghĩa việt nam"
    # .VnTimeH draws ASCII letters as capitals too.
    assert fix_legacy("®¹i héi lÇn thø x", [".VnTimeH"]) == ("ĐẠI HỘI LẦN THỨ X", "tcvn3")
