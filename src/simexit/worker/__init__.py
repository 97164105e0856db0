"""The worker: claims due saga steps, outbox messages and timers from the database and runs them."""
