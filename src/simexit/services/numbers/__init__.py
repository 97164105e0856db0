"""Numbers after their closure: permanent-disconnect records (the monthly reassigned-numbers export and the
query "was this number permanently disconnected on or after DATE?"), the relying parties (banks, apps) told
of each disconnect by signed webhooks, and the number's quarantine until it may be reused.

Public use cases: ``commands.subscribe`` / ``unsubscribe``, ``queries.subscriptions``,
``queries.was_disconnected``, ``queries.permanent_disconnects`` / ``rnd_export``, ``recycling.check`` (the
CAMARA Number Recycling check), ``rnd_report.report`` (the FCC RND monthly report),
``commands.port_out_completed``. A partner manages and sees only its own subscriptions. What the worker runs is
in ``tasks.py`` (the ``relying_parties`` saga step, the ``quarantine_end`` and ``rnd_report`` timers). Every
date after a closure counts from the number's one permanent-disconnect date (domain/number_afterlife.py);
each relying party gets its own durable notice, and the reissue waits for the quarantine end, not for them.
"""
