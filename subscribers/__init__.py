"""The audience: subscribers, consent, double opt-in, unsubscribing, import and export, privacy
requests and the public pages. Uses mailer's core and stores, never its sending, inbox or team code."""
