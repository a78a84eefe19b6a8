"""The simulated carrier's pure rules: what happens next to an outbound message, and when."""
