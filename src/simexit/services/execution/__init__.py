"""The closing saga after approval: scheduling, the closing steps (network, eSIM, final bill, refund, account,
messages), refunds, eSIM notifications, the outbox and the certificate of cancellation.
"""
