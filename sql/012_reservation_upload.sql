-- 012: a quota reservation counts for as long as its upload runs (issue
-- #11). Before, every reservation stopped counting an hour after it was
-- made, so an upload still streaming after an hour no longer held its
-- bytes against the quota and concurrent uploads of the same owner could
-- pass it. Now the upload names its blob in its reservation once it
-- holds the blob's session-level advisory lock (src/wd_storage.c, "How
-- an upload stays provable"), and a reservation is live while that lock
-- is held, or for an hour from its making (the moment before the lock,
-- and rows from binaries that predate this). A dead upload's lock went
-- with its session: its reservation lapses after the hour as before.
ALTER TABLE storage.reservations
	ADD COLUMN blob text CHECK (blob ~ '^[0-9a-f]{32}$');

-- The lock is pg_try_advisory_lock(hashtextextended(blob, 0)) in this
-- database: pg_locks shows a bigint key as classid (high 32 bits) and
-- objid (low 32 bits), objsubid 1 (SET_LOCKTAG_INT64), with the
-- database's oid. Names are qualified instead of a SET search_path,
-- which would keep the planner from inlining the function.
CREATE FUNCTION storage.reservation_live(created timestamptz, blob text)
RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT created > pg_catalog.now() - interval '1 hour' OR
		(blob IS NOT NULL AND EXISTS (SELECT 1 FROM pg_catalog.pg_locks l
		WHERE l.locktype = 'advisory' AND l.granted AND
			l.objsubid = 1 AND
			l.database = (SELECT d.oid FROM pg_catalog.pg_database d
				WHERE d.datname = pg_catalog.current_database()) AND
			l.classid = ((pg_catalog.hashtextextended(blob, 0) >> 32)
				& 4294967295)::oid AND
			l.objid = (pg_catalog.hashtextextended(blob, 0) &
				4294967295)::oid))
$$;
