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
