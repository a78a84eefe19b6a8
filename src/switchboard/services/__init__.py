"""The application layer: use cases over the ports, free of HTTP and SQL."""
