"""The one date grammar: YYYY-MM-DD and nothing else, for every command and the Pub/Sub push."""
from __future__ import annotations

import datetime as dt

import pytest

from predguard.arguments import ArgumentParser
from predguard.dates import iso_date_option, parse_iso_date
from predguard.errors import InputError


def test_a_calendar_date_parses() -> None:
    assert parse_iso_date("2026-01-30") == dt.date(2026, 1, 30)
    assert parse_iso_date("2024-02-29") == dt.date(2024, 2, 29)


@pytest.mark.parametrize("text", ["20260130", "2026-W05-5", "2026-030", "30/01/2026", "2026-02-30", "2026-1-30",
                                  " 2026-01-30", "2026-01-30T00:00", "٢٠٢٦-٠١-٣٠", ""])
def test_anything_else_is_refused_with_what_was_expected(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not a date in YYYY-MM-DD format"):
        parse_iso_date(text)


def test_as_an_argparse_type_the_error_names_the_option() -> None:
    parser = ArgumentParser(prog="predguard x")
    parser.add_argument("--as-of", type=iso_date_option("--as-of"))
    assert parser.parse_args(["--as-of", "2026-01-30"]).as_of == dt.date(2026, 1, 30)
    with pytest.raises(InputError) as caught:
        parser.parse_args(["--as-of", "20260130"])
    assert str(caught.value) == "--as-of: '20260130' is not a date in YYYY-MM-DD format"
