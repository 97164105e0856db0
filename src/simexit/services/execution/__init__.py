"""Execution: the closing saga after approval — scheduling it in the approval's transaction, its steps (network,
eSIM, final bill, refund, account, messages, finish), refunds and finance's payout file, the transactional
outbox, and the certificate of cancellation.

Public use cases: ``commands.retry`` (a supervisor puts a failed closure back to work), ``queries.steps``,
``queries.payouts`` / ``payout_file``, ``queries.receipt_html``; for other capabilities, in their own
transaction: ``scheduling.schedule_execution(s)`` and ``outbox.enqueue``. What the worker runs is in
``tasks.py`` (steps and the ``closure_due`` timer), run by ``step_runner`` and claimed through ``work``.

It must never make an outside call inside a transaction, nor act on a step or message whose lease another
worker holds; every key it sends outside is drawn once per step or message and unique across instances.
"""
