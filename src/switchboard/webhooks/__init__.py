"""Webhook delivery in three steps: prepare (pure) -> send (the network) -> record (the store)."""
