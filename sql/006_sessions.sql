-- 006: sessions that survive real browsers and real attackers (issue 10).
--
-- Refresh tokens remember the token they replaced, so a rotated token
-- presented again within WARDEN_REFRESH_REUSE_INTERVAL (two tabs racing, a
-- retried request) can be told from a stolen copy: it is a reuse once its
-- successor has itself been used. And every token of a
-- session carries the session's start, for WARDEN_SESSION_MAX_AGE.
ALTER TABLE auth.refresh_tokens ADD COLUMN parent_hash bytea;
-- set when the token is rotated: its successor is derived from the token
-- itself and this salt (wd_acct.c), so a replay within the interval is
-- answered with the same successor, as GoTrue does, although tokens are
-- stored only hashed; the salt alone derives nothing
ALTER TABLE auth.refresh_tokens ADD COLUMN successor_salt text;
ALTER TABLE auth.refresh_tokens ADD COLUMN session_started_at timestamptz
	NOT NULL DEFAULT now();
CREATE INDEX refresh_tokens_parent ON auth.refresh_tokens (parent_hash)
	WHERE parent_hash IS NOT NULL;

-- Throttle counters, shared by every process and host: one row per
-- bucket (sha256 of what is counted: a route and an address, an account
-- and an address, ...) and fixed window. Old windows are deleted by the
-- routes themselves now and then.
CREATE TABLE auth.throttle (
	bucket		bytea NOT NULL,
	window_start	timestamptz NOT NULL,
	hits		integer NOT NULL,
	PRIMARY KEY (bucket, window_start)
);
CREATE INDEX throttle_window ON auth.throttle (window_start);
