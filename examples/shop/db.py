"""The shop's SQLite database: products, orders and the Stripe events it has handled."""

from __future__ import annotations

import secrets
import sqlite3
import time
from dataclasses import dataclass

SCHEMA = """
CREATE TABLE IF NOT EXISTS products (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, unit_amount INTEGER NOT NULL, currency TEXT NOT NULL,
    interval TEXT  -- 'month' for a subscription, NULL for a one-time product
);
CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The order's own random key: ids restart with a fresh database, Stripe's idempotency keys live a day.
    token TEXT NOT NULL UNIQUE,
    email TEXT,
    status TEXT NOT NULL,  -- awaiting_payment -> paid | payment_failed | cancelled
    checkout_session TEXT UNIQUE,
    amount_total INTEGER,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS order_lines (order_id INTEGER NOT NULL, product_id TEXT NOT NULL, quantity INTEGER NOT NULL);
-- One row per order shipped: the primary key makes fulfilling twice impossible.
CREATE TABLE IF NOT EXISTS fulfilments (order_id INTEGER PRIMARY KEY, fulfilled_at REAL NOT NULL);
-- Every Stripe event handled, so that a redelivered event changes nothing.
CREATE TABLE IF NOT EXISTS stripe_events (id TEXT PRIMARY KEY, type TEXT NOT NULL, received_at REAL NOT NULL);
"""

#: What the shop sells: two products and a subscription.
PRODUCTS = (
    ("tshirt", "T-shirt", 2000, "usd", None),
    ("mug", "Mug", 1200, "usd", None),
    ("coffee_club", "Coffee club", 900, "usd", "month"),
)


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    unit_amount: int
    currency: str
    interval: str | None


@dataclass(frozen=True)
class Order:
    id: int
    email: str | None
    status: str
    checkout_session: str | None
    amount_total: int | None


def connect(path: str) -> sqlite3.Connection:
    """A connection to the database at ``path``, with the schema and the products in place."""
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.executescript(SCHEMA)
    connection.executemany("INSERT OR IGNORE INTO products VALUES (?, ?, ?, ?, ?)", PRODUCTS)
    return connection


def products(db: sqlite3.Connection) -> list[Product]:
    return [Product(*row) for row in db.execute("SELECT id, name, unit_amount, currency, interval FROM products")]


def product(db: sqlite3.Connection, product_id: str) -> Product | None:
    row = db.execute(
        "SELECT id, name, unit_amount, currency, interval FROM products WHERE id = ?", (product_id,)
    ).fetchone()
    return Product(*row) if row else None


def new_order(db: sqlite3.Connection, email: str | None, lines: list[tuple[str, int]]) -> tuple[int, str]:
    """A new order awaiting payment: its id, and its token (for the idempotency key of its Checkout Session)."""
    token = secrets.token_hex(12)
    cursor = db.execute(
        "INSERT INTO orders (token, email, status, created) VALUES (?, ?, 'awaiting_payment', ?)",
        (token, email, time.time()),
    )
    order_id = int(cursor.lastrowid or 0)
    db.executemany(
        "INSERT INTO order_lines VALUES (?, ?, ?)", [(order_id, product_id, quantity) for product_id, quantity in lines]
    )
    return order_id, token


def attach_session(db: sqlite3.Connection, order_id: int, session_id: str, amount_total: int | None) -> None:
    db.execute(
        "UPDATE orders SET checkout_session = ?, amount_total = ? WHERE id = ?", (session_id, amount_total, order_id)
    )


def order(db: sqlite3.Connection, order_id: int) -> Order | None:
    row = db.execute(
        "SELECT id, email, status, checkout_session, amount_total FROM orders WHERE id = ?", (order_id,)
    ).fetchone()
    return Order(*row) if row else None


def order_of_session(db: sqlite3.Connection, session_id: str) -> Order | None:
    row = db.execute(
        "SELECT id, email, status, checkout_session, amount_total FROM orders WHERE checkout_session = ?",
        (session_id,),
    ).fetchone()
    return Order(*row) if row else None


def set_status(db: sqlite3.Connection, order_id: int, status: str) -> None:
    db.execute("UPDATE orders SET status = ? WHERE id = ?", (status, order_id))


def fulfil(db: sqlite3.Connection, order_id: int) -> bool:
    """Ship the order; False when it had been shipped already."""
    cursor = db.execute("INSERT OR IGNORE INTO fulfilments VALUES (?, ?)", (order_id, time.time()))
    return cursor.rowcount == 1


def fulfilments(db: sqlite3.Connection) -> list[int]:
    return [row[0] for row in db.execute("SELECT order_id FROM fulfilments ORDER BY order_id")]


def first_sight_of(db: sqlite3.Connection, event_id: str, event_type: str) -> bool:
    """Record a Stripe event; False when it had been handled already (Stripe delivers at least once)."""
    cursor = db.execute("INSERT OR IGNORE INTO stripe_events VALUES (?, ?, ?)", (event_id, event_type, time.time()))
    return cursor.rowcount == 1
