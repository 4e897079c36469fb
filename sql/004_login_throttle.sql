-- 004: login throttling. Failed logins record a subject: sha256 of the
-- normalised email, whether or not the account exists (so throttling an
-- address says nothing about its existence); the login route counts
-- recent failures per subject and per IP before it verifies anything.
ALTER TABLE auth.audit_log ADD COLUMN subject bytea;
CREATE INDEX audit_log_failed_subject ON auth.audit_log (subject, at)
	WHERE event = 'login_failed';
CREATE INDEX audit_log_failed_ip ON auth.audit_log (ip, at)
	WHERE event = 'login_failed';
