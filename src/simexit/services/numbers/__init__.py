"""Numbers after their closure: permanent-disconnect records (the monthly reassigned-numbers export and the
query "was this number permanently disconnected on or after DATE?"), the relying parties (banks, apps) told
of each disconnect by signed webhooks, and the number's quarantine until it may be reused.

Public use cases: ``commands.subscribe`` / ``unsubscribe``, ``queries.subscriptions``,
``queries.was_disconnected``, ``queries.permanent_disconnects`` / ``rnd_export``. A partner manages and
sees only its own subscriptions. What the worker runs is in ``tasks.py`` (the ``relying_parties`` saga step
and the ``quarantine_end`` timer). A number is never released before its relying parties were told.
"""
