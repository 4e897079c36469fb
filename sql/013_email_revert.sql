-- 013: undoing an email change from the old address (a "this was not me"
-- link in the notice mailed there). A stolen access token could otherwise
-- move the account to its thief's address, confirm it there and reset
-- the password: the owner, told by the notice, had no way back. A revert
-- ticket holds the address to restore (new_email) and whether a second
-- factor was on before the asking session began (mfa: one enrolled
-- later, maybe by whoever asked, goes with the revert); it lives 7 days
-- and is only mailed to an address that was proven. A newer one never
-- replaces an older one; only a reset or reclaim of an unproven address
-- ends them (src/wd_life.c, wd_life_email_revert).
ALTER TABLE auth.tickets DROP CONSTRAINT tickets_purpose_check;
ALTER TABLE auth.tickets ADD CONSTRAINT tickets_purpose_check
	CHECK (purpose IN ('activate', 'reset', 'email', 'mfa', 'revert'));
ALTER TABLE auth.tickets ADD COLUMN mfa boolean NOT NULL DEFAULT false;
-- When a second factor was turned on: a revert keeps one only if it was
-- on before the session that asked for the change began (a thief with a
-- token could otherwise enrol their own first and keep it). NULL: before
-- this column came, so before any session now alive.
ALTER TABLE auth.accounts ADD COLUMN mfa_enabled_at timestamptz;
