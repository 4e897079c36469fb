-- 009: storage quota per owner (issue #11, WARDEN_STORAGE_QUOTA).
-- storage.usage.used is the sum of the sizes of an owner's objects, kept
-- by a trigger in the same transaction as every row change, so it cannot
-- drift from storage.objects. An upload first reserves its bytes in
-- storage.reservations under the owner's usage row lock (checked against
-- used + live reservations), and the row write deletes the reservation
-- in its own transaction. A reservation a crashed request left behind
-- stops counting after an hour (and the sweep deletes it).
CREATE TABLE storage.usage (
	owner		text PRIMARY KEY CHECK (length(owner) <= 128),
	used		bigint NOT NULL DEFAULT 0 CHECK (used >= 0)
);

CREATE TABLE storage.reservations (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	owner		text NOT NULL CHECK (length(owner) <= 128),
	bytes		bigint NOT NULL CHECK (bytes >= 0),
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reservations_owner ON storage.reservations (owner, created_at);

INSERT INTO storage.usage (owner, used)
	SELECT owner, sum(size) FROM storage.objects
	WHERE owner IS NOT NULL GROUP BY owner;

CREATE FUNCTION storage.count_usage() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.owner IS NOT NULL THEN
		UPDATE storage.usage SET used = used - OLD.size
			WHERE owner = OLD.owner;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.owner IS NOT NULL THEN
		INSERT INTO storage.usage AS u (owner, used)
			VALUES (NEW.owner, NEW.size)
			ON CONFLICT (owner) DO UPDATE SET used = u.used + NEW.size;
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER objects_usage
	AFTER INSERT OR UPDATE OF size, owner OR DELETE ON storage.objects
	FOR EACH ROW EXECUTE FUNCTION storage.count_usage();
