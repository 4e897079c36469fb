#!/bin/sh
# Starts and stops Warden's local stack: a private PostgreSQL cluster and
# lighttpd on 127.0.0.1 spawning the FastCGI binaries (API.md §1).
#
#   stack.sh start | stop | run | restart-web | status
#
# Environment: WARDEN_RUN_DIR (default <repo>/run), WARDEN_PORT (8080),
# WARDEN_BIN (default <repo>/build/bin). PostgreSQL refuses to run as root,
# so as root everything runs as the unprivileged user "warden".
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
RUN=${WARDEN_RUN_DIR:-$REPO/run}
PORT=${WARDEN_PORT:-8080}
BIN=${WARDEN_BIN:-$REPO/build/bin}
SVC=warden
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

say() { echo "warden: $*"; }
die() { echo "warden: $*" >&2; exit 1; }

if [ "$(id -u)" = 0 ]; then
	if ! id "$SVC" >/dev/null 2>&1; then
		useradd --system --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin "$SVC"
	fi
	AS="runuser -u $SVC --"
	USERLINE="server.username = \"$SVC\"
server.groupname = \"$SVC\""
else
	AS=""
	SVC=$(id -un)
	USERLINE=""
fi

# paths below are absolute; the service user may not be allowed in $PWD
cd /

# warden owns the schema and runs migrations; the binaries connect as
# warden_app, which may only read and write rows (STYLE.md §7)
OWNERURL="postgresql:///warden?host=$RUN/sock&user=warden"
DBURL="postgresql:///warden?host=$RUN/sock&user=warden_app"

pg_running() { $AS "$PGBIN/pg_ctl" -D "$RUN/pg" status >/dev/null 2>&1; }
web_pid() {
	[ -f "$RUN/lighttpd.pid" ] || return 1
	pid=$(cat "$RUN/lighttpd.pid")
	kill -0 "$pid" 2>/dev/null && echo "$pid"
}

rand() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

start_pg() {
	[ -n "$PGBIN" ] || die "PostgreSQL not installed (make deps)"
	mkdir -p "$RUN/log" "$RUN/sock" "$RUN/www" "$RUN/private" \
		"$RUN/storage"
	chmod 700 "$RUN/sock"
	[ "$(id -u)" = 0 ] && chown -R "$SVC:$SVC" "$RUN"
	if [ ! -f "$RUN/pg/PG_VERSION" ]; then
		$AS "$PGBIN/initdb" -D "$RUN/pg" -U warden --auth=trust \
			-E UTF8 >"$RUN/log/initdb.log" 2>&1 ||
			die "initdb failed, see $RUN/log/initdb.log"
		cat >>"$RUN/pg/postgresql.conf" <<EOC
listen_addresses = ''
unix_socket_directories = '$RUN/sock'
fsync = on
EOC
	fi
	if ! pg_running; then
		$AS "$PGBIN/pg_ctl" -D "$RUN/pg" -l "$RUN/log/postgresql.log" \
			-w -t 60 start >/dev/null ||
			die "PostgreSQL did not start, see $RUN/log/postgresql.log"
	fi
	if [ "$(psql -X -At -h "$RUN/sock" -U warden -d postgres -c \
	    "SELECT 1 FROM pg_database WHERE datname = 'warden'")" != 1 ]; then
		createdb -h "$RUN/sock" -U warden warden
	fi
	# psql runs as the caller: root reaches the 0700 socket directory,
	# and the service user may not be able to read the checkout
	sh "$REPO/sql/migrate.sh" "$OWNERURL"
	psql -X -q -v ON_ERROR_STOP=1 "$OWNERURL" >/dev/null <<'EOSQL'
DO $$ BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'warden_app') THEN
		CREATE ROLE warden_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
	END IF;
END $$;
GRANT USAGE ON SCHEMA auth, public, storage TO warden_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA auth, public,
	storage TO warden_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA auth, public, storage
	TO warden_app;
-- storage object metadata (issue #4, sql/003_storage.sql)
GRANT USAGE ON SCHEMA storage TO warden_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA storage
	TO warden_app;
REVOKE ALL ON public.warden_migrations FROM warden_app;
EOSQL
}

write_env() {
	[ -f "$RUN/warden.env" ] && return 0
	umask 077
	cat >"$RUN/warden.env" <<EOC
# Effective configuration of the stack (API.md §1); the binaries read it
# through WARDEN_CONFIG. Generated once by lighttpd/stack.sh.
WARDEN_URL='http://127.0.0.1:$PORT'
WARDEN_DATABASE_URL='$DBURL'
WARDEN_JWT_SECRET='{"type":"HS256","key":"$(rand 32)"}'
WARDEN_ACTION_SECRET='$(rand 24)'
WARDEN_STORAGE_BACKEND='fs'
WARDEN_STORAGE_DIR='$RUN/storage'
WARDEN_STORAGE_RULES='$RUN/storage-rules.json'
WARDEN_AUTO_ACTIVATE='true'
EOC
	[ "$(id -u)" = 0 ] && chown "$SVC:$SVC" "$RUN/warden.env"
	return 0
}

# The service user may not be able to reach the checkout (a clone under
# /root): the binaries it runs are copied into the run directory.
install_bins() {
	mkdir -p "$RUN/bin"
	for f in "$BIN"/*; do
		case "$f" in *.d) continue ;; esac
		[ -f "$f" ] && [ -x "$f" ] || continue
		cp "$f" "$RUN/bin/.new" && mv -f "$RUN/bin/.new" "$RUN/bin/${f##*/}"
	done
	chmod 755 "$RUN/bin" "$RUN/bin"/*
}

# The storage rules file (issue #4) is copied next to the binaries, for
# the same reason; a warden.env from before storage gets the path added.
install_rules() {
	cp "$REPO/storage-rules.json" "$RUN/.rules.new" &&
		mv -f "$RUN/.rules.new" "$RUN/storage-rules.json"
	chmod 644 "$RUN/storage-rules.json"
	if ! grep -q '^WARDEN_STORAGE_RULES=' "$RUN/warden.env"; then
		echo "WARDEN_STORAGE_RULES='$RUN/storage-rules.json'" \
			>>"$RUN/warden.env"
	fi
}

# Values the lighttpd config takes from the effective configuration:
# the X-Sendfile docroot and the upload size cap (KiB, + 1 MiB framing).
storage_conf() {
	SDIR=$(. "$RUN/warden.env" >/dev/null 2>&1
		echo "${WARDEN_STORAGE_DIR:-$RUN/storage}")
	SMAX=$(. "$RUN/warden.env" >/dev/null 2>&1
		echo "${WARDEN_STORAGE_MAX_SIZE:-1073741824}")
	case "$SMAX" in ''|*[!0-9]*) SMAX=1073741824 ;; esac
	SKB=$((SMAX / 1024 + 1024))
}

# The route section (@ROUTES@) comes from the route table, through
# lighttpd/routes.py; then the placeholders of both are filled in.
write_conf() {
	storage_conf
	python3 "$REPO/lighttpd/routes.py" lighttpd "$REPO/lighttpd/routes" \
		>"$RUN/routes.conf.tmp" || die "bad route table lighttpd/routes"
	# multi-line values: substitute whole lines with awk, not sed
	awk -v u="$USERLINE" -v rf="$RUN/routes.conf.tmp" '
		$0 == "@USERLINE@" { print u; next }
		$0 == "@ROUTES@" {
			while ((getline l < rf) > 0) print l
			close(rf); next
		}
		{ print }' "$REPO/lighttpd/warden.conf.in" |
	sed -e "s|@RUN@|$RUN|g" -e "s|@PORT@|$PORT|g" -e "s|@BIN@|$RUN/bin|g" \
		-e "s|@STORAGE_DIR@|$SDIR|g" -e "s|@STORAGE_MAX_KB@|$SKB|g" \
		>"$RUN/lighttpd.conf.tmp"
	mv -f "$RUN/lighttpd.conf.tmp" "$RUN/lighttpd.conf"
	rm -f "$RUN/routes.conf.tmp"
}

start_web() {
	[ -x "$BIN/hook" ] || die "binaries missing in $BIN (make)"
	if web_pid >/dev/null; then
		return 0
	fi
	install_bins
	install_rules
	write_conf
	lighttpd -tt -f "$RUN/lighttpd.conf" >"$RUN/log/lighttpd.check" 2>&1 ||
		die "bad lighttpd config: $(cat "$RUN/log/lighttpd.check")"
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		lighttpd -f "$RUN/lighttpd.conf" ||
		die "lighttpd did not start, see $RUN/log/lighttpd.error.log"
}

wait_healthy() {
	i=0
	while [ $i -lt 100 ]; do
		if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" \
		    2>/dev/null; then
			return 0
		fi
		i=$((i + 1))
		sleep 0.1
	done
	die "/healthz did not answer; see $RUN/log/"
}

stop_web() {
	if pid=$(web_pid); then
		kill "$pid"
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1; i=$((i + 1))
		done
	fi
	rm -f "$RUN/lighttpd.pid"
}

stop_pg() {
	if [ -f "$RUN/pg/PG_VERSION" ] && pg_running; then
		$AS "$PGBIN/pg_ctl" -D "$RUN/pg" -m fast -w stop >/dev/null
	fi
}

do_start() {
	start_pg
	write_env
	start_web
	wait_healthy
	say "running"
	say "  webhook   http://127.0.0.1:$PORT/hook   (HASURA_GRAPHQL_AUTH_HOOK)"
	say "  health    http://127.0.0.1:$PORT/healthz"
	say "  accounts  http://127.0.0.1:$PORT/auth/{register,login,logout,user,jwks,token/refresh,activate}"
	say "  actions   http://127.0.0.1:$PORT/actions/{register,login,refresh,logout,activate}"
	say "  private   http://127.0.0.1:$PORT/private/<file> from $RUN/private"
	say "  config    $RUN/warden.env  (database owner: psql '$OWNERURL')"
	say "  logs      $RUN/log/"
	say "try: curl -i http://127.0.0.1:$PORT/hook"
}

case "${1:-}" in
start)	do_start ;;
stop)	stop_web; stop_pg; say "stopped (data kept in $RUN)" ;;
restart-web) stop_web; start_web; wait_healthy ;;
status)	web_pid >/dev/null && pg_running && say "running" ||
		{ say "not running"; exit 1; } ;;
run)
	# set first: a Ctrl-C while starting also stops what was started
	trap 'echo; sh "$REPO/lighttpd/stack.sh" stop; exit 0' INT TERM
	do_start
	say "following logs; Ctrl-C stops"
	tail -n 0 -F "$RUN/log/lighttpd.error.log" "$RUN/log/postgresql.log" &
	wait
	;;
*)	die "usage: stack.sh start|stop|run|restart-web|status" ;;
esac
