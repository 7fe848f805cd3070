"""Date parsing (every form editors type) and Vietnamese formatting."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from sitegen.dates import Moment, offset_label, parse_moment
from sitegen.i18n import format_date

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize("raw, iso, has_time", [
    ("2019-12-25", "2019-12-25", False),
    ("2019-12-25T19:10", "2019-12-25T19:10:00+07:00", True),
    ("2019-12-25 19:10", "2019-12-25T19:10:00+07:00", True),
    ("2019-12-25T19:10:05", "2019-12-25T19:10:05+07:00", True),
    ("2019-12-25T19:10:00+07:00", "2019-12-25T19:10:00+07:00", True),
    ("2019-12-25T12:10:00Z", "2019-12-25T12:10:00+00:00", True),
    ("2019-12-25T19:10:00+09:00", "2019-12-25T19:10:00+09:00", True),
    ("25/12/2019", "2019-12-25", False),
    ("25/12/2019 19:10", "2019-12-25T19:10:00+07:00", True),
    ("25-12-2019", "2019-12-25", False),
    ("25.12.2019", "2019-12-25", False),
    ("5/6/2020", "2020-06-05", False),
    ("25/12/2019 lúc 19:10", "2019-12-25T19:10:00+07:00", True),
    ("19:10 25/12/2019", "2019-12-25T19:10:00+07:00", True),
    ("25/12/2019 19h10", "2019-12-25T19:10:00+07:00", True),
    ("  25/12/2019  ", "2019-12-25", False),
])
def test_accepted_forms(raw, iso, has_time):
    moment = parse_moment(raw, TZ)
    assert moment.iso() == iso
    assert moment.has_time is has_time


def test_date_without_offset_is_in_site_time_zone():
    moment = parse_moment("25/12/2019 19:10", TZ)
    assert moment.value.utcoffset() == timedelta(hours=7)
    assert moment.value.astimezone(timezone.utc).hour == 12


def test_yaml_native_values():
    assert parse_moment(date(2019, 12, 25), TZ).iso() == "2019-12-25"
    assert parse_moment(datetime(2019, 12, 25, 19, 10), TZ).iso() == "2019-12-25T19:10:00+07:00"


@pytest.mark.parametrize("raw, detail", [
    ("hôm qua", ""),
    ("31/02/2020", " (day is out of range for month)"),
    ("2020-02-30", " (day is out of range for month)"),
    ("25/13/2019", " (month must be in 1..12)"),
    ("25/12/2019 25:00", " (hour must be in 0..23)"),
    ("25/12/3019", " (year 3019 is outside 1900–2100)"),
    ("01/01/1800", " (year 1800 is outside 1900–2100)"),
    ("2019/12/25", ""),
    ("", ""),
])
def test_rejected_text(raw, detail):
    with pytest.raises(ValueError) as err:
        parse_moment(raw, TZ)
    assert str(err.value) == f'expected a date like 2019-12-25 or 25/12/2019, got "{raw}"{detail}'


@pytest.mark.parametrize("raw", [2019, 20191225, True, ["2019-12-25"], {"y": 2019}])
def test_rejected_types(raw):
    with pytest.raises(ValueError, match="expected a date like"):
        parse_moment(raw, TZ)


def test_vietnamese_format_as_seed_portals_print_it():
    assert format_date(parse_moment("25/12/2019 19:10", TZ), TZ) == "Thứ Tư, 25/12/2019 - 19:10 (GMT+7)"
    assert format_date(parse_moment("2019-12-25", TZ), TZ) == "Thứ Tư, 25/12/2019"
    assert format_date(parse_moment("2019-12-29", TZ), TZ) == "Chủ Nhật, 29/12/2019"
    # an instant given in UTC is shown in the portal's time zone
    assert format_date(parse_moment("2019-12-25T12:10:00Z", TZ), TZ) == "Thứ Tư, 25/12/2019 - 19:10 (GMT+7)"


def test_offset_label():
    tz = lambda h, m=0: timezone(timedelta(hours=h, minutes=m))  # noqa: E731
    assert offset_label(datetime(2020, 1, 1, tzinfo=tz(7))) == "GMT+7"
    assert offset_label(datetime(2020, 1, 1, tzinfo=tz(5, 30))) == "GMT+5:30"
    assert offset_label(datetime(2020, 1, 1, tzinfo=tz(-3))) == "GMT-3"
    assert offset_label(datetime(2020, 1, 1, tzinfo=timezone.utc)) == "GMT"


def test_round_trip_through_iso():
    for raw in ("25/12/2019 19:10", "2019-12-25", "2019-12-25T19:10:00+09:00"):
        moment = parse_moment(raw, TZ)
        assert parse_moment(moment.iso(), TZ) == moment
        assert isinstance(moment, Moment)
