"""The rules: pure Python, no I/O. Everything here is unit-tested without a database."""
