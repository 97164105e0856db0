"""Loading customers, lines, balances, bills, bindings, devices, eSIM profiles and usage from JSON Lines, all or
nothing.
"""
