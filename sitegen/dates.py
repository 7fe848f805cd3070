"""Dates: parse what editors type (ISO 8601 and Vietnamese forms), format for readers."""
from __future__ import annotations

import re
from functools import cached_property, lru_cache
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo

MIN_YEAR, MAX_YEAR = 1900, 2100
EXPECTED = "expected a date like 2019-12-25 or 25/12/2019"
# 25/12/2019, 25-12-2019, 25.12.2019, optionally followed by a time "19:10" or
# "19:10:05" (or "19h10"), or preceded by one: "19:10 25/12/2019".
_TIME = r"(?P<H>\d{1,2})[:hg](?P<M>\d{2})(?::(?P<S>\d{2}))?"
_DMY = r"(?P<d>\d{1,2})(?P<sep>[/.-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4})"
_VI_FORMS = [
    re.compile(rf"^{_DMY}(?:[ ,T]+(?:lúc\s*)?{_TIME})?$", re.IGNORECASE),
    re.compile(rf"^{_TIME}[ ,]+(?:ngày\s*)?{_DMY}$", re.IGNORECASE),
]


@dataclass(frozen=True)
class Moment:
    """An aware date-time and whether the editor gave a time of day."""

    value: datetime
    has_time: bool

    @cached_property
    def stamp(self) -> float:
        """Seconds since the epoch, kept: comparing aware datetimes asks both for their offsets,
        and listings compare dates hundreds of thousands of times a build."""
        return self.value.timestamp()

    @cached_property
    def _iso(self) -> str:
        return self.value.isoformat() if self.has_time else self.value.date().isoformat()

    def iso(self) -> str:
        """ISO 8601 with offset (or a plain date when no time was given); kept, as a card shows
        it on every listing of the article."""
        return self._iso


def parse_moment(raw: object, tz: tzinfo) -> Moment:
    """Parse a front-matter date. Raise ValueError with a message for editors."""
    if isinstance(raw, datetime):
        return _checked(_aware(raw, tz), True)
    if isinstance(raw, date):
        return _checked(datetime.combine(raw, time(0), tz), False)
    if not isinstance(raw, str):
        raise ValueError(f"{EXPECTED}, got {_show(raw)}")
    text = raw.strip()
    try:
        return _parse_text(text, tz)
    except ValueError as err:
        detail = str(err)
        raise ValueError(f"{EXPECTED}, got {_show(raw)}" + (f" ({detail})" if detail else "")) from None


def _parse_text(text: str, tz: tzinfo) -> Moment:
    for pattern in _VI_FORMS:
        match = pattern.match(text)
        if match:
            day, month, year = int(match["d"]), int(match["m"]), int(match["y"])
            has_time = match["H"] is not None
            hour, minute = (int(match["H"]), int(match["M"])) if has_time else (0, 0)
            second = int(match["S"] or 0) if has_time else 0
            return _checked(datetime(year, month, day, hour, minute, second, tzinfo=tz), has_time)
    if re.match(r"^\d{4}-\d{2}-\d{2}$", text):
        return _checked(datetime.combine(date.fromisoformat(text), time(0), tz), False)
    if re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text):
        return _checked(_aware(datetime.fromisoformat(text.replace("z", "Z")), tz), True)
    raise ValueError("")


def _aware(value: datetime, tz: tzinfo) -> datetime:
    # A time without an offset is local time of the portal, not UTC.
    if value.tzinfo is None:
        return value.replace(tzinfo=tz)
    if type(value.tzinfo) is timezone:
        # one object per offset: the build cache pickles it once, not once per article
        return value.replace(tzinfo=_fixed_offset(value.utcoffset()))
    return value


@lru_cache(maxsize=None)
def _fixed_offset(offset: timedelta) -> timezone:
    return timezone(offset)


def _checked(value: datetime, has_time: bool) -> Moment:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"year {value.year} is outside {MIN_YEAR}–{MAX_YEAR}")
    return Moment(value, has_time)


def _show(raw: object) -> str:
    text = raw if isinstance(raw, str) else repr(raw)
    text = text if len(text) <= 60 else text[:57] + "…"
    return '"' + text.replace('"', '\\"') + '"'


def offset_label(value: datetime) -> str:
    """"GMT+7" for +07:00, "GMT+5:30" for +05:30, "GMT" for UTC."""
    offset = value.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    if minutes == 0:
        return "GMT"
    return f"GMT{sign}{hours}" + (f":{rest:02d}" if rest else "")


def from_epoch(seconds: int, tz: tzinfo) -> datetime:
    """An aware datetime for a Unix time (used for SOURCE_DATE_EPOCH)."""
    return datetime.fromtimestamp(seconds, timezone.utc).astimezone(tz)
