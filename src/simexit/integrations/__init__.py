"""Outside systems, one folder each: a small typed interface (``base.py``) and implementations named after
the real system they speak to. Simulators of those systems (for the demo and the tests) are separate HTTP
servers speaking the same wire protocol, chosen by configuration — never a branch in production code."""
