"""The Twilio surface (/2010-04-01, /v1) and the simulator control plane (/_sim)."""
