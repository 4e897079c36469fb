-- 001: the auth schema: users, accounts, roles, refresh tokens, audit.
-- HBP v2 compatible names (hbp.md §2.5) so an HBP database maps onto it,
-- without HBP's flaws: refresh tokens and tickets are stored only as
-- SHA-256 hashes, never in clear.
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE EXTENSION IF NOT EXISTS citext;
CREATE SCHEMA IF NOT EXISTS auth;

CREATE OR REPLACE FUNCTION public.set_current_timestamp_updated_at()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.updated_at = now();
	RETURN NEW;
END;
$$;

CREATE TABLE public.users (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	display_name	text CHECK (length(display_name) <= 256),
	avatar_url	text CHECK (length(avatar_url) <= 2048)
);
CREATE TRIGGER set_users_updated_at BEFORE UPDATE ON public.users
	FOR EACH ROW EXECUTE FUNCTION public.set_current_timestamp_updated_at();

CREATE TABLE auth.roles (
	role		text PRIMARY KEY CHECK (role ~ '^[A-Za-z0-9_-]{1,64}$')
);
INSERT INTO auth.roles (role) VALUES ('user'), ('anonymous'), ('me');

CREATE TABLE auth.accounts (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	user_id		uuid NOT NULL UNIQUE
			REFERENCES public.users (id) ON DELETE CASCADE,
	active		boolean NOT NULL DEFAULT false,
	email		citext CHECK (length(email) <= 254 AND
			    email = lower(email) AND
			    email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'),
	new_email	citext,
	password_hash	text,
	default_role	text NOT NULL DEFAULT 'user'
			REFERENCES auth.roles (role) ON UPDATE CASCADE,
	is_anonymous	boolean NOT NULL DEFAULT false,
	custom_register_data jsonb,
	ticket_hash	bytea,		-- sha256 of the activation ticket
	ticket_purpose	text,
	ticket_expires_at timestamptz
);
-- unique case-insensitively, whatever a writer forgot to lower-case
CREATE UNIQUE INDEX accounts_email_key ON auth.accounts (lower(email::text));
CREATE UNIQUE INDEX accounts_ticket_key ON auth.accounts (ticket_hash)
	WHERE ticket_hash IS NOT NULL;
CREATE TRIGGER set_accounts_updated_at BEFORE UPDATE ON auth.accounts
	FOR EACH ROW EXECUTE FUNCTION public.set_current_timestamp_updated_at();

CREATE TABLE auth.account_roles (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	created_at	timestamptz NOT NULL DEFAULT now(),
	account_id	uuid NOT NULL
			REFERENCES auth.accounts (id) ON DELETE CASCADE,
	role		text NOT NULL
			REFERENCES auth.roles (role) ON UPDATE CASCADE,
	UNIQUE (account_id, role)
);

-- One row per refresh token. family_id groups the rotations of one login
-- (the "session", the sid claim); reuse of a rotated token revokes it all.
CREATE TABLE auth.refresh_tokens (
	token_hash	bytea PRIMARY KEY,	-- sha256 of the token
	family_id	uuid NOT NULL,
	account_id	uuid NOT NULL
			REFERENCES auth.accounts (id) ON DELETE CASCADE,
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	used_at		timestamptz		-- set when rotated
);
CREATE INDEX refresh_tokens_family ON auth.refresh_tokens (family_id);
CREATE INDEX refresh_tokens_account ON auth.refresh_tokens (account_id);

-- Revoked sessions (sid), kept until the last access token of the
-- session has expired; the webhook loads them at start and follows
-- NOTIFY warden_revoked for new ones.
CREATE TABLE auth.revoked_sessions (
	family_id	uuid PRIMARY KEY,
	revoked_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL
);

CREATE TABLE auth.audit_log (
	id		bigserial PRIMARY KEY,
	at		timestamptz NOT NULL DEFAULT now(),
	event		text NOT NULL,
	user_id		uuid,
	ip		inet,
	user_agent	text CHECK (length(user_agent) <= 512)
);
CREATE INDEX audit_log_user ON auth.audit_log (user_id, at);
