-- 003: storage object metadata (issue #4, API.md §7). One row per key;
-- the bytes live in the backend under a random blob id (never the key),
-- so an overwrite writes a new blob and switches the row, and a failed
-- upload never damages the previous version. The row is written only
-- after the blob is durable.
CREATE SCHEMA IF NOT EXISTS storage;

CREATE TABLE storage.objects (
	key		text PRIMARY KEY
			CHECK (octet_length(key) BETWEEN 1 AND 1024 AND
			    right(key, 1) <> '/' AND left(key, 1) <> '/'),
	blob		text NOT NULL UNIQUE CHECK (blob ~ '^[0-9a-f]{32}$'),
	size		bigint NOT NULL CHECK (size >= 0),
	content_type	text NOT NULL
			CHECK (length(content_type) BETWEEN 1 AND 255),
	-- x-hasura-user-id of the first uploader (text: Warden does not
	-- assume user ids are uuids); NULL for anonymous or admin uploads
	owner		text CHECK (length(owner) <= 128),
	-- read access by ?token= (default rules); kept across updates
	token		uuid NOT NULL DEFAULT gen_random_uuid(),
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);

-- GET /storage/m/<dir>/ is a LIKE 'prefix%' scan
CREATE INDEX objects_key_prefix ON storage.objects (key text_pattern_ops);
