/*
 * wd_jwt.h: JWT keys, verification, signing and minting of access tokens
 * on top of libjwt 1.10.
 *
 * libjwt 1.10 verifies a signature with whatever algorithm the token names
 * and checks no registered claim. This module pins the configured
 * algorithm, then checks exp, nbf (with allowed_skew), iss and aud, and
 * Hasura's claim rules (hasura.md §3) before anything in the token is
 * trusted.
 */
#ifndef WD_JWT_H
#define WD_JWT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <jwt.h>
#include <json-c/json.h>

#include "wd_err.h"
#include "wd_limits.h"

#define WD_JWT_MAX_AUD	8

struct wd_jwt_key {
	jwt_alg_t	 alg;		/* the only algorithm accepted */
	unsigned char	*sign;		/* HMAC secret or private PEM; owned,
					 * NULL when only a public key given */
	size_t		 sign_len;
	unsigned char	*verify;	/* HMAC secret or public PEM; owned */
	size_t		 verify_len;
	char		*ns;		/* claims namespace; owned */
	char		*issuer;	/* owned; NULL = not checked */
	char		*aud[WD_JWT_MAX_AUD];	/* owned; naud = 0: unchecked */
	size_t		 naud;
	long		 skew;		/* allowed_skew, seconds */
	char		*kid;		/* key id for RS* (JWKS); owned */
	unsigned char	 fp[32];	/* sha256 of everything that decides
					 * verification: alg, key, ns, iss,
					 * aud, skew (cache keys use it) */
	struct wd_jwt_key *prev;	/* owned; key rotation: the previous
					 * key, which still verifies (and is
					 * in JWKS) but never signs */
};

/*
 * Parses Hasura's HASURA_GRAPHQL_JWT_SECRET JSON (type, key, and optional
 * claims_namespace, claims_format "json", issuer, audience, allowed_skew,
 * kid). HS* keys need >= 32 bytes; RS* keys may be a private PEM (used to
 * sign; the public half is derived for verifying) or a public PEM
 * (verify only). On error returns WD_E_CONFIG with one line in err that
 * never contains the key. Caller cleans up with wd_jwt_key_cleanup().
 */
enum wd_err	wd_jwt_key_parse(const char *json, struct wd_jwt_key *k,
		    char *err, size_t errsz);
/* Wipes and frees (the previous key too); k may be zeroed. */
void		wd_jwt_key_cleanup(struct wd_jwt_key *k);

/*
 * Makes prev k's rotation key (k->prev = prev; k's cleanup then cleans
 * and frees it) and k->fp cover both keys, as the caches need: call it
 * once per pair, on k's own fingerprint.
 */
void		wd_jwt_key_set_prev(struct wd_jwt_key *k,
		    struct wd_jwt_key *prev);

/*
 * Parses WARDEN_JWT_SECRET into k and, when set, the rotation key
 * WARDEN_JWT_PREVIOUS_SECRET into k->prev (same JSON; errors name it).
 */
struct wd_cfg;
enum wd_err	wd_jwt_keys_load(const struct wd_cfg *c, struct wd_jwt_key *k,
		    char *err, size_t errsz);

/* A verified token's Hasura view. Everything borrowed from root. */
struct wd_claims {
	struct json_object	*root;		/* owned: the payload */
	struct json_object	*ns;		/* the claims object */
	const char		*user_id;	/* x-hasura-user-id */
	const char		*default_role;	/* x-hasura-default-role */
	struct json_object	*allowed;	/* x-hasura-allowed-roles */
	const char		*sid;		/* session id or NULL */
	int64_t			 exp;
};

/*
 * Verifies tok (len bytes, need not be NUL-terminated; at most
 * WD_MAX_TOKEN) against k at time now, and against k->prev when k's
 * signature check fails (key rotation). On WD_OK, c holds the claims and
 * the caller calls wd_claims_cleanup(). Errors: WD_E_BADTOKEN (shape,
 * algorithm, signature, iss, aud), WD_E_EXPIRED (exp, nbf), WD_E_CLAIMS
 * (Hasura claims missing or ill-typed). c is zeroed on error.
 */
enum wd_err	wd_jwt_verify(const struct wd_jwt_key *k, const char *tok,
		    size_t len, time_t now, struct wd_claims *c);
void		wd_claims_cleanup(struct wd_claims *c);

/*
 * A per-process cache of verified tokens, for a binary that sees the
 * same token on every request of a client (storage: every download). A
 * hit skips the signature check and both parses. The key is sha256 over
 * k->fp (every verification setting, both keys) and the token bytes, so
 * a hit is the very token and settings that passed; exp and nbf are
 * checked again on every hit, with the skew of the key that verified
 * it (under rotation the smaller of the two keys' skews), so a hit
 * answers what wd_jwt_verify would answer at that time, and anything
 * closer to an edge is a miss that the full check decides.
 * Failures are never kept. Revocation is not the cache's business: the
 * caller checks sid on every request as before. Digests, not tokens,
 * are compared. Not thread-safe: one per thread that verifies.
 */
#define WD_JWT_CACHE_N	64

struct wd_jwt_centry {
	unsigned char	 key[32];
	struct wd_claims c;		/* c.root owned; NULL: empty slot */
	long		 skew;		/* the verifying key's, or the
					 * smaller of both under rotation */
	int64_t		 nbf;
	int		 has_nbf;
};

struct wd_jwt_cache {
	struct wd_jwt_centry	 e[WD_JWT_CACHE_N];
	unsigned long		 hits;	/* answered from the cache */
};

/*
 * wd_jwt_verify through cache (zeroed before first use): the same
 * results and the same claims. On WD_OK c holds its own reference to
 * the claims; the caller calls wd_claims_cleanup() and must not change
 * them (the cache keeps them for the next request).
 */
enum wd_err	wd_jwt_verify_cached(struct wd_jwt_cache *cache,
		    const struct wd_jwt_key *k, const char *tok, size_t len,
		    time_t now, struct wd_claims *c);
/* Frees every kept token's claims and zeroes cache; cache may be NULL. */
void		wd_jwt_cache_cleanup(struct wd_jwt_cache *cache);

/*
 * The parts of a cache of verified tokens, for wd_jwt_verify_cached and
 * the webhook's cache of answers, so that a hit decides as the full
 * check would:
 * - wd_jwt_cache_digest: the entry's key, sha256 over k's fingerprint
 *   (the verification settings, both keys under rotation), when extra is
 *   not NULL extra (elen <= WD_JWT_DIGEST_EXTRA bytes; what else the
 *   entry depends on) and a NUL that ends it, and the token; 0 when it
 *   cannot be made (too long: do not cache);
 * - wd_jwt_cache_slot: the key's slot of n;
 * - wd_jwt_verify_by: wd_jwt_verify, telling which key (k or k->prev)
 *   verified the token;
 * - wd_jwt_hit_skew: the skew a hit of a token used verified must keep
 *   (under rotation the smaller of k's and used's);
 * - wd_jwt_times_ok: exp and (when has_nbf) nbf at now with skew, as
 *   the full check decides them: WD_OK or WD_E_EXPIRED.
 */
#define WD_JWT_DIGEST_EXTRA	WD_MAX_HEADER	/* a header */
int		wd_jwt_cache_digest(const struct wd_jwt_key *k,
		    const void *extra, size_t elen, const char *tok,
		    size_t len, unsigned char *key);
size_t		wd_jwt_cache_slot(const unsigned char *key, size_t n);
enum wd_err	wd_jwt_verify_by(const struct wd_jwt_key *k, const char *tok,
		    size_t len, time_t now, struct wd_claims *c,
		    const struct wd_jwt_key **used);
long		wd_jwt_hit_skew(const struct wd_jwt_key *k,
		    const struct wd_jwt_key *used);
enum wd_err	wd_jwt_times_ok(int64_t exp, int has_nbf, int64_t nbf,
		    long skew, time_t now);

/* 1 if role (len bytes) is one of c's allowed roles, else 0. */
int		wd_claims_role_allowed(const struct wd_claims *c,
		    const char *role, size_t len);

/*
 * Signs payload (a JSON object, not consumed) with k, adding kid to the
 * header when set. *out is caller-owned (free()). WD_E_CONFIG when k has
 * no signing key.
 */
enum wd_err	wd_jwt_sign(const struct wd_jwt_key *k,
		    struct json_object *payload, char **out);

/* A custom claim's column name: [a-z_][a-z0-9_]*, PostgreSQL's identifier
 * length (NAMEDATALEN - 1), as wd_svc.c checks WARDEN_JWT_CUSTOM_FIELDS. */
#define WD_JWT_MAX_CLAIM_NAME	63

/* 1 if custom claim column col would replace an identity claim
 * (x-hasura-user-id, -default-role, -allowed-roles, -role,
 * -session-id): refused in a token and in the configuration. */
int		wd_jwt_claim_reserved(const char *col);

/* What an access token says (API.md §4/§5, Hasura's JWT claims). */
struct wd_jwt_mint {
	const char		*user_id;	/* sub, x-hasura-user-id */
	const char		*default_role;	/* x-hasura-default-role */
	const char *const	*roles;		/* x-hasura-allowed-roles;
						 * the default role is
						 * appended when missing
						 * (HBP); may be NULL if
						 * nroles is 0 */
	size_t			 nroles;
	const char *const	*claim_names;	/* extra claims: column
						 * names, "company_id" ->
						 * "x-hasura-company-id"
						 * (HBP: kebab-case) */
	const char *const	*claim_values;	/* NULL value: claim left
						 * out (absent, not null) */
	size_t			 nclaims;
	const char		*sid;		/* session id (the refresh
						 * token family); required */
	long			 lifetime;	/* seconds, > 0 */
};

/*
 * Builds and signs an access token: under k->ns the object
 * {x-hasura-user-id, x-hasura-default-role, x-hasura-allowed-roles (a
 * JSON array), x-hasura-<claim> (strings)}, and at the top level sub,
 * iat = now, exp = now + lifetime, sid, iss (when k has an issuer) and
 * aud (k's first audience, when k has any). Signs with k itself, never
 * with k->prev.
 *
 * Refuses rather than emit a token the verifier would reject: every
 * token returned passes wd_jwt_verify(k, ..., now). WD_E_INTERNAL for
 * bad input: user_id not 1..WD_MAX_ID bytes, a role or default_role not
 * 1..WD_MAX_ROLE bytes, sid not 1..WD_MAX_ID bytes, text that is not
 * UTF-8, more than WD_MAX_ROLES roles (default included), nclaims over
 * WD_MAX_CLAIMS - 4 (NULL values count), a claim name not
 * [a-z_][a-z0-9_]* of at most WD_JWT_MAX_CLAIM_NAME bytes, repeated, or
 * one of user_id, default_role, allowed_roles, role, session_id (which
 * would replace an identity claim), lifetime <= 0 or exp overflowing,
 * or a token longer than WD_MAX_TOKEN. WD_E_CONFIG when k cannot sign
 * (no private key, or a zeroed key); WD_E_INTERNAL when libjwt fails.
 *
 * Nothing in m is kept. On WD_OK *out is the token, caller-owned: wipe
 * and free it with wd_freezero(*out, strlen(*out)) (or free()). On error
 * *out is NULL.
 */
enum wd_err	wd_jwt_mint(const struct wd_jwt_key *k,
		    const struct wd_jwt_mint *m, time_t now, char **out);

#endif
