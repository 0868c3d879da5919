"""Files in and out: reading district tables (tables.py, nces.py), matching ids (idmatch.py),
the plan tables and workbook a district shares (plan_tables.py, workbook.py), and publishing
every command's outputs as one set (output.py)."""

import csv

# Python's csv module refuses a cell over 131,072 characters, which pandas and spreadsheets read:
# a GIS export's geometry column (WKT) or a pasted note can be longer. Every CSV feeder reads or
# writes goes through this package, so the limit is lifted here, once (2**31 - 1: a C long everywhere).
csv.field_size_limit(2**31 - 1)
