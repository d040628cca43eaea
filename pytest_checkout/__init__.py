"""pytest-checkout: test applications that take payments through Stripe Checkout Sessions."""
