"""Who is calling and what they may do. ``caller`` is the type every use case takes (customer, staff, partner,
system, public); ``commands`` signs customers in (SMS code, ID-tail second factor) and staff (argon2id
password, TOTP), signs out, creates staff accounts and partner keys; ``queries`` turns a session token or a
partner key into a caller and lists accounts and keys; ``views`` are what the doors get back. ``throttle``
counts rate limits, lockouts and backoffs atomically (also for other capabilities' public entries);
``idempotency`` keeps the answers of requests sent with an Idempotency-Key. It never reveals whether a
phone number or a user name exists, and stores no secret in the clear (codes, tokens and keys as hashes).
"""
