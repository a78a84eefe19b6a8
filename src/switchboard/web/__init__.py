"""The web dashboard: numbers, conversations, a phone simulator and the webhook inspector."""
