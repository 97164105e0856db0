"""Simulators of outside systems for the demo and the tests: separate HTTP servers on 127.0.0.1 that speak the
real system's wire protocol, keep state, can be told to fail or be slow, and record what they received."""
