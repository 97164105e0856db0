"""Loading customers, lines, balances, bills, bindings, devices, eSIM profiles and usage from JSON Lines, all or
nothing. Use case: ``commands.import_jsonl`` (System only). A bad line is refused with its line number and field
(IMPORT_INVALID) and nothing is stored; the import never writes half a file.
"""
