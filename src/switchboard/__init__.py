"""switchboard: a self-hosted, Twilio-compatible Programmable Messaging server."""

__version__ = "0.1.0"
