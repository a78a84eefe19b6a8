"""Storage adapters behind the Store port (SQLite now; PostgreSQL later)."""
