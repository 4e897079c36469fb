-- lighttpd/own_errors.lua: run by mod_magnet as an answer starts
-- (magnet.attract-response-start-to in lighttpd/warden.conf.in: only
-- for requests with an Origin, and not under /hook, /healthz and
-- /private/, which serve no browser).
--
-- An error lighttpd answers itself (a body over the size cap, a path no
-- binary serves, a pool out of reach: server.errorfile-prefix) carried
-- no CORS line, so a browser app on another origin could not read it:
-- an upload over the cap failed as a network error instead of a 413
-- payload-too-large. Those answers are the same for every caller and
-- name nobody, so any origin may read them: Access-Control-Allow-Origin
-- "*", without credentials. The binaries' own answers always say
-- "Vary: Origin" and carry their own CORS lines (WARDEN_ALLOWED_ORIGINS,
-- WARDEN_CORS_ANY_ORIGIN): they are left as they are.
local r = lighty.r
if r.req_item.http_status < 400 or r.req_header["Origin"] == nil then
	return 0
end
local h = r.resp_header
if h["Vary"] ~= nil or h["Access-Control-Allow-Origin"] ~= nil then
	return 0
end
h["Access-Control-Allow-Origin"] = "*"
h["Vary"] = "Origin"
return 0
