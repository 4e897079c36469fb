-- 005: the mail outbox (issue 9). A request that sends mail inserts a row
-- here in its own transaction (wd_outbox_add), so the mail exists exactly
-- when the change that asked for it was committed; the mailer
-- (cgi-bin/mailer) is woken by NOTIFY warden_outbox, renders the named
-- template with vars, delivers it over SMTP and marks the row sent, or
-- schedules a retry. vars hold the clear ticket until the mail is sent:
-- the mailer sets them to NULL in the same statement that records
-- sent_at, so a sent row keeps no usable ticket. last_error is a kind
-- ('relay', 'template', ...), never text from the message or the relay.
CREATE TABLE auth.outbox (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	template	text NOT NULL CHECK (template ~ '^[a-z0-9-]{1,64}$'),
	recipient	text NOT NULL CHECK (length(recipient) <= 254 AND
			    recipient ~
			    '^[^@[:space:]<>",]+@[^@[:space:]<>",]+$'),
	vars		jsonb CHECK (vars IS NULL OR
			    jsonb_typeof(vars) = 'object'),
	created_at	timestamptz NOT NULL DEFAULT now(),
	attempts	integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_attempt_at	timestamptz NOT NULL DEFAULT now(),
	sent_at		timestamptz,
	last_error	text CHECK (last_error ~ '^[a-z-]{1,32}$'),
	CHECK (sent_at IS NULL OR vars IS NULL)
);

-- what the mailer asks for: unsent rows by due time
CREATE INDEX outbox_due ON auth.outbox (next_attempt_at)
	WHERE sent_at IS NULL;

CREATE OR REPLACE FUNCTION auth.notify_outbox() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	-- delivered at COMMIT, so the mailer never wakes for a row it
	-- cannot see yet (and never for a rolled-back one)
	PERFORM pg_notify('warden_outbox', NEW.id::text);
	RETURN NEW;
END;
$$;

CREATE TRIGGER outbox_notify AFTER INSERT ON auth.outbox
	FOR EACH ROW EXECUTE FUNCTION auth.notify_outbox();
