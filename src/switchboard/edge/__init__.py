"""The Twilio-hosts edge (``serve --twilio-hosts``): switchboard answering as ``*.twilio.com``.

``routing.py`` keeps each Twilio host to its product's paths; ``tls.py`` makes the TLS
contexts from the local CA; ``proxy.py`` is the Twilio-only HTTPS proxy; ``server.py`` serves
the proxy and the optional TLS listener beside the HTTP port, with the same application.
"""
