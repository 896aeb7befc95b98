"""Helpers for the tests (and the benchmarks): servers, sample data, builders."""
