-- 010: whether anyone ever proved control of an account's email address
-- (issue 12). With WARDEN_AUTO_ACTIVATE=true nobody checks the address a
-- password account registers with, so an attacker could register a
-- victim's address first and, once the victim signed in with a provider
-- that verified it, share the account through the password. The flag
-- says whether the address was proven; a provider-verified sign-in that
-- matches an account whose address was not takes the account over for
-- the address's owner (wd_ident.c: the password, sessions, second
-- factor, pending tickets and other identities go).
--
-- Set true by: spending an activation ticket, confirming an email change
-- (the ticket went to the new address), completing a password reset by
-- emailed ticket, and an account created by a provider that verified the
-- address. Set false by a direct email change (WARDEN_VERIFY_EMAILS=false).
ALTER TABLE auth.accounts ADD COLUMN email_verified boolean NOT NULL
	DEFAULT false;

-- Existing rows. false is the safe answer: an account wrongly left false
-- at worst loses its password (and keeps its data) when its address's
-- owner signs in through a provider; one wrongly set true keeps the hole
-- open. So true only where the rows themselves prove it:
-- (a) the audit log records a spent activation ticket ('activate') or a
--     reset by emailed ticket ('password_reset') for the user, and no
--     'email_change' from an hour before it on (a ticket lives 60
--     minutes, so the address it was mailed to is still the account's;
--     confirmed and direct email changes share that event, so either
--     counts as unproven). An account activated by ticket in the past
--     counts only when that row is there.
-- (b) a provider proved it: an identity of the account carries the
--     account's address (identities link or create an account's address
--     only through an email the provider verified) and the account has no
--     password, so no unproven credential is left to distrust; and the
--     account's address never changed (an identity records the address
--     its provider reported even when unverified, which a later direct
--     email change could then match).
-- Accounts with a password that a provider was linked to before this
-- migration (possibly the attack above) stay false: the next
-- provider-verified sign-in to them drops the password and sessions.
UPDATE auth.accounts a SET email_verified = true
WHERE a.email IS NOT NULL AND (
	EXISTS (SELECT 1 FROM auth.audit_log p
		WHERE p.user_id = a.user_id
		    AND p.event IN ('activate', 'password_reset')
		    AND NOT EXISTS (SELECT 1 FROM auth.audit_log c
			WHERE c.user_id = a.user_id
			    AND c.event = 'email_change'
			    AND c.at > p.at - interval '1 hour'))
	OR (a.password_hash IS NULL AND EXISTS (SELECT 1 FROM auth.identities i
		WHERE i.account_id = a.id AND i.email = a.email)
	    AND NOT EXISTS (SELECT 1 FROM auth.audit_log c
		WHERE c.user_id = a.user_id AND c.event = 'email_change')));
