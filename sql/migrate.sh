#!/bin/sh
# Applies sql/NNN_*.sql in order, each in its own transaction together with
# the row that records it in public.warden_migrations, so a failed file
# leaves nothing and re-running is a no-op.
# usage: sql/migrate.sh DATABASE_URL
set -eu
url=${1:?usage: migrate.sh DATABASE_URL}
dir=$(cd "$(dirname "$0")" && pwd)
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$url" "$@"; }
psql -c "CREATE TABLE IF NOT EXISTS public.warden_migrations (
	version text PRIMARY KEY,
	applied_at timestamptz NOT NULL DEFAULT now())" 2>/dev/null
for f in "$dir"/[0-9][0-9][0-9]_*.sql; do
	v=$(basename "$f" .sql)
	done_=$(psql -At -c "SELECT 1 FROM public.warden_migrations
		WHERE version = '$v'")
	[ "$done_" = 1 ] && continue
	psql --single-transaction -f "$f" \
		-c "INSERT INTO public.warden_migrations (version) VALUES ('$v')"
	echo "migrate: applied $v"
done
