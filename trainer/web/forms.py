"""Reading the web forms' fields: dates and whole numbers, with errors that say how to write them."""

from __future__ import annotations

import datetime as dt
import math

from trainer.errors import InputError


def parse_date(value: str | None, what: str) -> dt.date | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{what} {text!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-12-01") from None


def parse_whole(value: float | int | str | None, what: str) -> int | None:
    """A whole number from a form field; empty (or 0 where allowed) means none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{what} is a whole number, not {value!r}") from None
    if not math.isfinite(number) or number != int(number):
        raise InputError(f"{what} is a whole number, not {value!r}")
    return int(number)
