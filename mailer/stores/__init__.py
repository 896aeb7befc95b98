"""One module per table group; the only SQL outside migrations."""
