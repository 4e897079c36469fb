-- 014: an account nobody ever activated, told apart from one an operator
-- deactivated. With WARDEN_AUTO_ACTIVATE=false, whoever registered an
-- address first held it for good: the owner's registration was a 409, a
-- reset mailed nothing (inactive) and a provider sign-in was refused
-- (account-disabled), until an operator stepped in. Now a reset ticket
-- spent, or a provider's verified address, proves the address of a
-- never-activated account and makes it the prover's, active, as it does
-- for any account whose address nobody had proven (src/wd_life.c,
-- src/wd_ident.c). An account that was active once and is not now stays
-- as the operator left it. To keep a never-activated account from its
-- address's owner too, an operator sets its activated_at (or deletes
-- it).
ALTER TABLE auth.accounts ADD COLUMN activated_at timestamptz;
-- every account that is or was active: one active now, one with no
-- activation ticket waiting (spending it activates, and deletes it), or
-- one the audit log saw activated or signed in (an operator may have
-- activated it without the ticket, then deactivated it)
UPDATE auth.accounts a SET activated_at = a.created_at
	WHERE a.active OR NOT EXISTS (SELECT 1 FROM auth.tickets t
	    WHERE t.account_id = a.id AND t.purpose = 'activate')
	    OR EXISTS (SELECT 1 FROM auth.audit_log l WHERE
	    l.user_id = a.user_id AND l.event IN ('activate', 'login',
	    'refresh', 'provider_signin'));
-- set by the database whenever an account becomes active, whoever makes
-- it so (registration, activation, a provider, an operator's UPDATE)
CREATE FUNCTION auth.set_activated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.active AND NEW.activated_at IS NULL THEN
		NEW.activated_at := now();
	END IF;
	RETURN NEW;
END;
$$;
CREATE TRIGGER set_accounts_activated_at
	BEFORE INSERT OR UPDATE OF active ON auth.accounts
	FOR EACH ROW EXECUTE FUNCTION auth.set_activated_at();
