"""Personal data: the customer's data export, erasure on schedule and the tamper-evident audit trail."""
