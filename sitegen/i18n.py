"""The one table of Vietnamese strings that code (not templates) shows to readers."""
from __future__ import annotations

from datetime import datetime

from .dates import Moment, offset_label

# Monday is 0, as in datetime.weekday().
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
MONTHS = tuple(f"Tháng {n}" for n in range(1, 13))
HOME = "Trang chủ"
TOPICS = "Chủ đề"
LEVELS = "Cấp công đoàn"
UNITS = "Đơn vị"
AUTHORS = "Tác giả"
ARCHIVE = "Lưu trữ"
SEARCH = "Tìm kiếm"
NOT_FOUND = "Không tìm thấy trang"
PAGE_N = "Trang {n}"
YEAR_N = "Năm {year}"
MONTH_N = "Tháng {month}/{year}"
TABLE_LABEL = "Bảng (kéo ngang để xem hết)"
FOOTNOTE_BACKLINK = "Quay lại chỗ chú thích %d trong bài"


def format_date(moment: Moment | datetime, tz=None, with_time: bool = True) -> str:
    """Vietnamese date as the seed portals print it: "Thứ Tư, 25/12/2019 - 19:10 (GMT+7)".

    Without a time of day (the editor gave only a date): "Thứ Tư, 25/12/2019".
    """
    value, has_time = (moment.value, moment.has_time) if isinstance(moment, Moment) else (moment, True)
    if tz is not None and has_time:
        value = value.astimezone(tz)
    text = f"{WEEKDAYS[value.weekday()]}, {value.day:02d}/{value.month:02d}/{value.year}"
    if has_time and with_time:
        text += f" - {value.hour:02d}:{value.minute:02d} ({offset_label(value)})"
    return text


def format_short_date(moment: Moment, tz=None, with_time: bool = False) -> str:
    """"25/12/2019" for lists; "25/12/2019 19:10" with the time, when the editor gave one."""
    value = moment.value.astimezone(tz) if (tz is not None and moment.has_time) else moment.value
    text = f"{value.day:02d}/{value.month:02d}/{value.year}"
    if with_time and moment.has_time:
        text += f" {value.hour:02d}:{value.minute:02d}"
    return text


# The preview server's overlay (build.py serve), shown over the page when a change breaks the build.
PREVIEW = {
    "title": "Bản xem trước chưa cập nhật: có lỗi cần sửa",
    "intro": "Trang đang hiển thị là bản tốt gần nhất. Sửa các lỗi dưới đây rồi lưu tệp; trang sẽ tự tải lại.",
    "file": "Tệp",
    "line": "dòng",
    "field": "Mục",
    "close": "Ẩn thông báo",
}
# A Vietnamese explanation per field of a diagnostic; the exact message follows it.
ERROR_HINTS = {
    "date": "Ngày đăng chưa đúng. Viết theo dạng 25/12/2019, 25/12/2019 19:10 hoặc 2019-12-25.",
    "updated": "Ngày cập nhật chưa đúng. Viết theo dạng 25/12/2019 hoặc 2019-12-25.",
    "expires": "Ngày hết hạn chưa đúng, hoặc không sau ngày đăng.",
    "title": "Bài viết cần có tiêu đề (title).",
    "level": "Cấp công đoàn (level) phải là một trong các khoá khai báo trong site.yaml.",
    "front matter": "Phần đầu bài (giữa hai dòng ---) viết chưa đúng cú pháp.",
    "image": "Không tìm thấy ảnh, hoặc ảnh không đọc được: kiểm tra tên tệp và thư mục.",
    "image_alt": "Ảnh cần có lời mô tả (image_alt) cho người không xem được ảnh.",
    "body": "Nội dung bài có ảnh hoặc liên kết không tìm thấy, hoặc ảnh thiếu lời mô tả.",
    "slug": "Hai bài trùng địa chỉ: đặt slug khác cho một trong hai bài.",
    "topics": "Chủ đề (topics) viết chưa đúng: dùng [Chủ đề 1, Chủ đề 2].",
    "template": "Lỗi trong mẫu giao diện (templates/): báo cho bộ phận kỹ thuật.",
    "file": "Tệp không đọc được: lưu lại dưới dạng văn bản UTF-8.",
    "text": "Văn bản có ký tự lạ đã được tự động thay thế.",
}
DEFAULT_HINT = "Xem chi tiết lỗi ngay bên dưới."
