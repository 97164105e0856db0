"""Tables, repositories and migrations: the only place that writes SQL."""
