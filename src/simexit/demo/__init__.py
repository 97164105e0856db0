"""Demo data and simulator seeding: what scripts/start and the tests load; never a use case."""
