-- lighttpd/headers.lua: run by mod_magnet (magnet.attract-raw-url-to in
-- lighttpd/warden.conf.in) before any FastCGI binary sees the request.
--
-- Drops every request header whose name holds a character other than
-- A-Z, a-z, 0-9 and '-'. lighttpd (1.4.69, Debian bookworm) hands request
-- headers to FastCGI as HTTP_<NAME>, upper-cased with every other
-- character turned into '_', so "X_Hasura_Role" (or "X.Hasura.Role")
-- would reach the webhook as HTTP_X_HASURA_ROLE, the parameter of
-- "X-Hasura-Role", and "X_Warden_Admin_Secret" as storage's
-- X-Warden-Admin-Secret; a proxy in front that strips or sets the dashed
-- name would not touch the other spelling. No real client needs such a
-- name: nginx drops them by default (underscores_in_headers off,
-- ignore_invalid_headers on), and so does this.
local h = lighty.r.req_header
local drop = {}
for k in pairs(h) do
	if string.find(k, "[^A-Za-z0-9%-]") then
		drop[#drop + 1] = k
	end
end
-- removed after the walk: removing shifts the list being walked
for i = 1, #drop do
	h[drop[i]] = ""	-- an empty value unsets the header
end
-- The binaries read the query from REQUEST_URI (the request target as
-- sent), never from lighttpd's parsed copy, which lighttpd prints in its
-- own error lines ("response not received ... for <path>?<query>" when a
-- binary dies mid-request, "all handlers for <path>?<query> ... are
-- down"). The query carries refresh tokens, tickets and storage tokens,
-- and a request that failed never rotated its token: blanked here, no
-- secret reaches the error log.
lighty.r.req_attr["uri.query"] = ""
-- Storage answers If-None-Match against its ETag and has no
-- If-Modified-Since (README, "Storage"). For a download it hands to
-- lighttpd (X-Sendfile), lighttpd would compare If-Modified-Since with
-- the Last-Modified line itself: a 304 for an object overwritten in the
-- same second (HTTP dates have no finer grain), and a GET and a HEAD that
-- disagree. The raw URI, as the binary routes by it.
local uri = lighty.r.req_attr["request.uri"]
if uri ~= nil and string.sub(uri, 1, 9) == "/storage/" then
	h["If-Modified-Since"] = ""
end
return 0
