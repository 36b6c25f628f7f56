-- The roll calls still to take are the unsigned sessions: a few among a network's year.
CREATE INDEX training_sessions_unsigned ON training_sessions (day) WHERE signed_at IS NULL;
