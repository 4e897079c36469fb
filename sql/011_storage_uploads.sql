-- 011: S3 multipart uploads on record (issue #11). An upload to S3 in
-- parts inserts its row here before CreateMultipartUpload is sent (so a
-- process that dies right after is still on record), sets upload_id
-- once S3 has answered, and deletes the row in the transaction that
-- writes its storage.objects row, or after S3 confirmed the abort of a
-- failed upload. A row left behind belongs to an upload that died or
-- could not reach S3: `storage gc` aborts it (by upload_id, or every
-- upload S3 lists for the blob when upload_id is NULL) and deletes the
-- row, unless its uploader still holds the blob's advisory lock
-- (src/wd_storage.c: the lock, not the row's age, tells a live upload).
CREATE TABLE storage.uploads (
	blob		text PRIMARY KEY CHECK (blob ~ '^[0-9a-f]{32}$'),
	upload_id	text CHECK (length(upload_id) BETWEEN 1 AND 1024),
	started		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX uploads_started ON storage.uploads (started);
