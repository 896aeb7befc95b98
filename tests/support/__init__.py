"""Helpers for the tests and benchmarks: Debian's Dovecot on loopback, sample replies and sent-issue
history, and the parser's scoring on a corpus. Importable as ``support`` with ``tests/`` on the path
(pytest puts it there for the tests; bench/ scripts add it themselves)."""
