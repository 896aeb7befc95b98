"""Helpers for the tests and the benchmarks: Debian's Dovecot on loopback, sample replies and
sent-issue history, the parser's scoring on a corpus, sample reactions for the web. Importable as
``support`` with ``tests/`` on the path (pytest puts it there; bench/ scripts add it themselves)."""
