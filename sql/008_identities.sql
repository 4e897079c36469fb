-- 008: sign-in with an identity provider (issue 12, API.md §5.2).
-- One identity per (provider, subject), pointing at the account it signs
-- in to. Provider access tokens are not kept.
CREATE TABLE auth.identities (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	created_at	timestamptz NOT NULL DEFAULT now(),
	account_id	uuid NOT NULL
			REFERENCES auth.accounts (id) ON DELETE CASCADE,
	provider	text NOT NULL CHECK (provider ~ '^[a-z0-9_-]{1,32}$'),
	subject		text NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
	email		citext CHECK (length(email) <= 254),
	UNIQUE (provider, subject)
);
CREATE INDEX identities_account ON auth.identities (account_id);

-- A sign-in between the redirect to the provider and its callback: the
-- state is kept only as its sha256 (the browser holds it in an HttpOnly
-- cookie), taken once by the callback.
CREATE TABLE auth.provider_requests (
	state_hash	bytea PRIMARY KEY,
	provider	text NOT NULL,
	verifier	text NOT NULL,		-- PKCE code_verifier
	nonce		text NOT NULL,
	redirect_to	text CHECK (length(redirect_to) <= 2048),
	expires_at	timestamptz NOT NULL
);
CREATE INDEX provider_requests_expires ON auth.provider_requests (expires_at);

-- The refresh token of a provider sign-in travels in a URL: it may be
-- used once (no reuse interval) and lives 60 s.
ALTER TABLE auth.refresh_tokens ADD COLUMN single_use boolean NOT NULL
	DEFAULT false;
