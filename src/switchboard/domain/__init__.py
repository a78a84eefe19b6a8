"""The pure core: Twilio's rules as data and functions, with no I/O, clock or randomness."""
