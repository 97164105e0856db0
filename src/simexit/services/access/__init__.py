"""Who is calling and what they may do: customer sign-in (SMS code and ID tail), staff accounts and sessions,
partner keys, throttles and lockouts, stored Idempotency-Key answers.
"""
