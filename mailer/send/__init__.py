"""Sending: the queue of deliveries, one message's bytes, DKIM, throttling, the workers and progress."""
