"""plan.xlsx: the portfolios and summary tables as sheets a planner can sort and filter.

Ids are written as text cells formatted as text ('@'), so `0262` stays `0262` when the
workbook is opened, edited and saved. The file is byte-identical for the same plan:
openpyxl stamps the save time into the document properties and the zip entries, so
both are pinned to a fixed date.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from feeder.io.plan_tables import portfolios_table, summary_table
from feeder.plan import Plan
from feeder.privacy import data_notes
from feeder.provenance import estimate_note, flows_label

FIXED_TIME = datetime(2000, 1, 1)
ZIP_TIME = (2000, 1, 1, 0, 0, 0)
TEXT_COLUMNS = ("school_id", "portfolio", "meeting_site_id", "region")
MODIFIED = re.compile(rb"<dcterms:modified([^>]*)>[^<]*</dcterms:modified>")
EXCEL_CELL_CHARS = 32_767  # Excel's most characters in a cell: a longer one makes it "repair" the file


def plan_workbook(plan: Plan, *, summary: pd.DataFrame | None = None) -> bytes:
    """The workbook's bytes: `about` (first when flows are estimated), `portfolios`, `summary`
    (`summary`: the plan's summary_table, when already made)."""
    book = Workbook()
    about = book.active
    about.title = "about"
    add_about(about, plan)
    summary = summary_table(plan) if summary is None else summary
    for title, table in (("portfolios", portfolios_table(plan)), ("summary", summary)):
        add_table(book.create_sheet(title), table)
    if estimate_note(plan.district) is None:
        book.move_sheet("about", offset=len(book.sheetnames) - 1)
    book.active = 0
    book.properties.created = FIXED_TIME
    buffer = io.BytesIO()
    book.save(buffer)
    return pinned_times(buffer.getvalue())


def add_about(sheet, plan: Plan) -> None:
    """What the tables are, where the flows come from (the estimate note in bold when estimated) and
    one `data note` row per load warning, so a planner opening only the workbook sees them."""
    note = estimate_note(plan.district)
    rows = [
        ("district", plan.district.name),
        ("schools", len(plan.labels)),
        ("portfolios", len(set(plan.labels))),
        ("flows_source", flows_label(plan.district)),
    ]
    for row in rows:
        sheet.append(list(row))
    if note:
        sheet.append(["note", note])
        sheet.cell(row=sheet.max_row, column=2).font = Font(bold=True)
    for warning in data_notes(plan.district):
        sheet.append(["data note", fitted(warning)])
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 100


def add_table(sheet, table: pd.DataFrame) -> None:
    """Header in bold, frozen; id-like columns stored and formatted as text."""
    sheet.append(list(table.columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for record in table.itertuples(index=False):
        sheet.append([None if pd.isna(value) else fitted(value) for value in record])
    for position, column in enumerate(table.columns, start=1):
        letter = get_column_letter(position)
        if column in TEXT_COLUMNS:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=position, max_col=position):
                cell.number_format = "@"
        width = max([len(str(column)), *(len(str(v)) for v in table[column].head(200))])
        sheet.column_dimensions[letter].width = min(60, width + 2)
    sheet.freeze_panes = "A2"


def fitted(value: object) -> object:
    """A text longer than Excel holds in a cell, cut with an ellipsis (the CSVs keep it whole)."""
    if isinstance(value, str) and len(value) > EXCEL_CELL_CHARS:
        return value[: EXCEL_CELL_CHARS - 1] + "…"
    return value


def pinned_times(data: bytes) -> bytes:
    """The same xlsx with the save time and zip entry times fixed, for byte-identical output."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = MODIFIED.sub(
                    rb"<dcterms:modified\1>2000-01-01T00:00:00Z</dcterms:modified>", content
                )
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, content)
    return out.getvalue()
