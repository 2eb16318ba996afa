"""Census periods and English working days (needed by CIN 8569Q, 8670Q and 8675Q).

Bank holidays are computed, not listed, so any year works: the fixed and Easter-based English
holidays with their substitute days, plus the one-off days of 2022 and 2023.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

__all__ = ["census_period", "english_bank_holidays", "working_days_before"]

_ONE_OFF = {
    2022: (date(2022, 6, 2), date(2022, 6, 3), date(2022, 9, 19)),  # jubilee; the Queen's funeral
    2023: (date(2023, 5, 8),),  # the coronation
}
_MOVED_MAY = {1995: date(1995, 5, 8), 2020: date(2020, 5, 8)}  # early May holiday moved to VE day
_MOVED_SPRING = {2002: date(2002, 6, 4), 2012: date(2012, 6, 4), 2022: date(2022, 6, 2)}


def census_period(collection_year: int) -> tuple[date, date]:
    """1 April of the previous year and 31 March of ``collection_year`` (both included)."""
    return date(collection_year - 1, 4, 1), date(collection_year, 3, 31)


def _easter(year: int) -> date:
    # the anonymous Gregorian algorithm (Meeus/Jones/Butcher)
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month = (h + l_ - 7 * m + 114) // 31
    day = (h + l_ - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def _first_monday(year: int, month: int) -> date:
    d = date(year, month, 1)
    return d + timedelta(days=(7 - d.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    d = date(year, month + 1, 1) - timedelta(days=1)
    return d - timedelta(days=d.weekday())


def _substitute(d: date, taken: set[date]) -> date:
    while d.weekday() >= 5 or d in taken:
        d += timedelta(days=1)
    return d


@lru_cache(maxsize=64)
def english_bank_holidays(year: int) -> frozenset[date]:
    """England and Wales bank holidays of calendar year ``year`` (substitute days included).

    Example: ``date(2025, 4, 18) in english_bank_holidays(2025)`` (Good Friday) is True.
    """
    easter = _easter(year)
    days: set[date] = {
        easter - timedelta(days=2), easter + timedelta(days=1),
        _MOVED_MAY.get(year, _first_monday(year, 5)),
        _MOVED_SPRING.get(year, _last_monday(year, 5)),
        _last_monday(year, 8),
    }
    days.add(_substitute(date(year, 1, 1), set()))
    christmas = _substitute(date(year, 12, 25), set())
    days.add(christmas)
    days.add(_substitute(date(year, 12, 26), {christmas}))
    days.update(_ONE_OFF.get(year, ()))
    return frozenset(days)


def holidays_around(collection_year: int) -> list[date]:
    """Bank holidays from two calendar years before the census period to the year after it."""
    out: list[date] = []
    for y in range(collection_year - 3, collection_year + 2):
        out.extend(english_bank_holidays(y))
    return sorted(out)


def working_days_before(day: date, n: int, collection_year: int) -> date:
    """The date ``n`` working days (Monday to Friday, not a bank holiday) before ``day``."""
    holidays = set(holidays_around(collection_year))
    d = day
    count = 0
    while count < n:
        d -= timedelta(days=1)
        if d.weekday() < 5 and d not in holidays:
            count += 1
    return d
