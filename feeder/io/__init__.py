"""Files in and out: reading district tables (tables.py, nces.py), matching ids (idmatch.py),
the plan tables and workbook a district shares (plan_tables.py, workbook.py), and publishing
every command's outputs as one set (output.py)."""
