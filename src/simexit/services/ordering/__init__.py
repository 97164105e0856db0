"""Ordering: an operator's BSS terminates lines with TM Forum product orders (TMF622) and reads the lines as
products (TMF637).

Use cases (the caller is a Partner with the ``tmf`` scope): place an order (a draft carrying the pre-check and
quote, or acknowledged), acknowledge a draft, cancel an order, subscribe a hub, read orders and products; and
simexit's follower (``tasks.follow_orders``) that turns the applications' timeline into hub events.

Every order item becomes an application through ``services.closure.commands`` (never a second intake path);
the order's state is derived from its applications. This package knows nothing of TMF's JSON: the doors render
it (``api.tmf``), and hand the follower the function that renders an event.
"""
