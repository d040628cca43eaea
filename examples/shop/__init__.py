"""The example shop: a small Flask and SQLite application that takes payments with Stripe Checkout.

Nothing in ``app.py``, ``db.py`` or ``async_app.py`` knows about pytest-checkout: it is application code as it
would run against Stripe, on the official ``stripe`` SDK. The tests beside it run it on the plugin's fake.
"""
