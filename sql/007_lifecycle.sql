-- 007: the account lifecycle (issue 9): tickets of their own (several
-- purposes at once, each single-use and stored hashed), TOTP two-factor
-- state. The one ticket column of accounts moves here.
CREATE TABLE auth.tickets (
	ticket_hash	bytea PRIMARY KEY,	-- sha256 of the ticket
	account_id	uuid NOT NULL
			REFERENCES auth.accounts (id) ON DELETE CASCADE,
	purpose		text NOT NULL
			CHECK (purpose IN ('activate', 'reset', 'email', 'mfa')),
	new_email	citext CHECK (length(new_email) <= 254),
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL
);
CREATE INDEX tickets_account ON auth.tickets (account_id, purpose);
CREATE INDEX tickets_expires ON auth.tickets (expires_at);

INSERT INTO auth.tickets (ticket_hash, account_id, purpose, expires_at)
	SELECT ticket_hash, id, 'activate', ticket_expires_at
	FROM auth.accounts
	WHERE ticket_hash IS NOT NULL AND ticket_purpose = 'activate'
	    AND ticket_expires_at IS NOT NULL;
DROP INDEX auth.accounts_ticket_key;
ALTER TABLE auth.accounts DROP COLUMN ticket_hash,
	DROP COLUMN ticket_purpose, DROP COLUMN ticket_expires_at;

-- TOTP: the secret sealed with WARDEN_MFA_KEY (AES-256-GCM, bound to the
-- account id), whether it is enabled, and the last time step a code was
-- accepted for (a code is accepted once, and no older one after it)
ALTER TABLE auth.accounts ADD COLUMN otp_secret text,
	ADD COLUMN mfa_enabled boolean NOT NULL DEFAULT false,
	ADD COLUMN otp_last_step bigint NOT NULL DEFAULT 0;
