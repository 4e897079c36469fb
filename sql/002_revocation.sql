-- 002: revocation feed for the webhook. Each revoked session (sid) is
-- published on channel warden_revoked as "<sid> <expires epoch>"; the
-- webhook LISTENs on its persistent connection and keeps an in-memory set,
-- loaded from auth.revoked_sessions at start (no query per request).
CREATE OR REPLACE FUNCTION auth.notify_revoked() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('warden_revoked', NEW.family_id::text || ' ' ||
	    floor(extract(epoch FROM NEW.expires_at))::bigint::text);
	RETURN NEW;
END;
$$;

CREATE TRIGGER revoked_sessions_notify
	AFTER INSERT OR UPDATE ON auth.revoked_sessions
	FOR EACH ROW EXECUTE FUNCTION auth.notify_revoked();

CREATE INDEX revoked_sessions_expires ON auth.revoked_sessions (expires_at);
