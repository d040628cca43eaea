"""Schemas of Stripe's Checkout API: node types and one generated module per API version."""
