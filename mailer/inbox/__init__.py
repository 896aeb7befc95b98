"""The inbox: fetching replies over IMAP, reading them (parse, body, reply text, bounces,
auto-replies), attributing them to an issue and theme, and filing them through the stores."""
