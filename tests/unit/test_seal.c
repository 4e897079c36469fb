/*
 * test_seal.c: AES-256-GCM sealing at rest (src/wd_seal.c).
 *
 * Oracles: round trips; the documented text format opened here directly
 * with OpenSSL's EVP interface and its base64 decoder (so the format is
 * what wd_seal.h says, not just whatever wd_open reads); and tampering:
 * each region of the decoded text (nonce, ciphertext, tag) altered and
 * re-encoded, the prefix changed, the key and associated data changed.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "wd_seal.h"
#include "wd_test.h"

#define M	"seal"

#define HEXKEY	"000102030405060708090a0b0c0d0e0f" \
		"101112131415161718191a1b1c1d1e1f"
#define UUID1	"3f2504e0-4f89-41d3-9a0c-0305e82c3301"
#define UUID2	"3f2504e0-4f89-41d3-9a0c-0305e82c3302"
#define SECRET	"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

static struct wd_seal_key	 key, key2;

struct key_case {
	const char	*name;
	const char	*in;
	size_t		 len;	/* 0: strlen(in) */
	enum wd_err	 want;
};

static int
all_zero(const void *p, size_t n)
{
	const unsigned char	*b = p;
	size_t			 i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

static void
test_key_parse(void)
{
	static const struct key_case cases[] = {
		/* bad */
		{ "key empty", "", 0, WD_E_CONFIG },
		{ "key 63 digits", HEXKEY, 63, WD_E_CONFIG },
		{ "key 65 digits", HEXKEY "0", 0, WD_E_CONFIG },
		{ "key 32 digits (16 bytes)",
		    "000102030405060708090a0b0c0d0e0f", 0, WD_E_CONFIG },
		{ "key 128 digits", HEXKEY HEXKEY, 0, WD_E_CONFIG },
		{ "key 0x prefix", "0x0102030405060708090a0b0c0d0e0f"
		    "101112131415161718191a1b1c1d1e1f", 0, WD_E_CONFIG },
		{ "key non-hex g", "g00102030405060708090a0b0c0d0e0f"
		    "101112131415161718191a1b1c1d1e1", 0, WD_E_CONFIG },
		{ "key space inside", "00010203 405060708090a0b0c0d0e0f"
		    "101112131415161718191a1b1c1d1e1f", 0, WD_E_CONFIG },
		{ "key trailing newline", HEXKEY "\n", 0, WD_E_CONFIG },
		{ "key newline replacing a digit", "000102030405060708090a0b"
		    "0c0d0e0f101112131415161718191a1b1c1d1e1\n", 0,
		    WD_E_CONFIG },
		{ "key NUL inside", "00010203\0" "405060708090a0b0c0d0e0f"
		    "101112131415161718191a1b1c1d1e1f", 64, WD_E_CONFIG },
		{ "key all zero", "0000000000000000000000000000000000000000"
		    "000000000000000000000000", 0, WD_E_CONFIG },
		{ "key all ff", "ffffffffffffffffffffffffffffffffffffffff"
		    "ffffffffffffffffffffffff", 0, WD_E_CONFIG },
		{ "key all ab, mixed case", "abABabABabABabABabABabABabABabAB"
		    "abababababababababababababababab", 0, WD_E_CONFIG },
		{ "key base64 of 32 bytes",
		    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", 0,
		    WD_E_CONFIG },
		{ "key UTF-8 digit",
		    "\xef\xbc\x90" "102030405060708090a0b0c0d0e0f"
		    "101112131415161718191a1b1c1d1e1f", 0, WD_E_CONFIG },
		/* good */
		{ "key lower case", HEXKEY, 0, WD_OK },
		{ "key upper case", "000102030405060708090A0B0C0D0E0F"
		    "101112131415161718191A1B1C1D1E1F", 0, WD_OK },
		{ "key one byte differs", "0000000000000000000000000000000000"
		    "000000000000000000000000000001", 0, WD_OK },
	};
	struct wd_seal_key	 k;
	const char		*why;
	size_t			 i, len;
	enum wd_err		 rc;
	char			*in;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct key_case	*c = &cases[i];

		len = c->len ? c->len : strlen(c->in);
		in = malloc(len > 0 ? len : 1);
		if (in == NULL)
			continue;
		memcpy(in, c->in, len);
		memset(&k, 0x77, sizeof(k));
		why = "unset";
		rc = wd_seal_key_parse(in, len, &k, &why);
		if (c->want == WD_OK)
			CHECK(M, c->name, rc == WD_OK && why == NULL &&
			    !all_zero(&k, sizeof(k)));
		else	/* a one-line reason, and no key material left */
			CHECK(M, c->name, rc == c->want && why != NULL &&
			    strlen(why) > 0 && strchr(why, '\n') == NULL &&
			    all_zero(&k, sizeof(k)));
		free(in);
	}
	CHECK(M, "key bytes as written",
	    wd_seal_key_parse(HEXKEY, 64, &k, NULL) == WD_OK &&
	    k.k[0] == 0x00 && k.k[10] == 0x0a && k.k[31] == 0x1f);
	wd_seal_key_cleanup(&k);
	CHECK(M, "key cleanup wipes", all_zero(&k, sizeof(k)));
	wd_seal_key_cleanup(NULL);
}

/* Standard base64 of the text's body (after "v1:"), via OpenSSL. */
static size_t
body_decode(const char *text, unsigned char *raw, size_t cap)
{
	char	 b[WD_SEAL_MAX_TEXT + 4];
	size_t	 n, i, pad = 0;
	int	 m;

	n = strlen(text) - 3;
	if (n + 3 > sizeof(b) || (n + 3) / 4 * 3 > cap)
		return 0;
	for (i = 0; i < n; i++) {
		b[i] = text[3 + i];
		if (b[i] == '-')
			b[i] = '+';
		else if (b[i] == '_')
			b[i] = '/';
	}
	while (n % 4 != 0) {
		b[n++] = '=';
		pad++;
	}
	m = EVP_DecodeBlock(raw, (unsigned char *)b, (int)n);
	return m < 0 ? 0 : (size_t)m - pad;
}

/* "v1:" + unpadded base64url of (raw, n), via OpenSSL. */
static void
body_encode(const unsigned char *raw, size_t n, char *text, size_t cap)
{
	unsigned char	 b[WD_SEAL_MAX_TEXT + 8];
	size_t		 i;
	int		 m;

	if ((n + 2) / 3 * 4 + 1 > sizeof(b) || cap < 4)
		return;
	m = EVP_EncodeBlock(b, raw, (int)n);
	while (m > 0 && b[m - 1] == '=')
		m--;
	if ((size_t)m + 4 > cap)
		return;
	memcpy(text, "v1:", 3);
	for (i = 0; i < (size_t)m; i++)
		text[3 + i] = b[i] == '+' ? '-' : b[i] == '/' ? '_' :
		    (char)b[i];
	text[3 + m] = '\0';
}

/* Opens text with OpenSSL directly, as wd_seal.h documents the format. */
static int
oracle_open(const char *text, const char *ad, unsigned char *out,
    size_t *olen)
{
	unsigned char	 raw[WD_SEAL_MAX_TEXT];
	EVP_CIPHER_CTX	*ctx;
	size_t		 n, pl;
	int		 l, ok;

	n = body_decode(text, raw, sizeof(raw));
	if (n < 12 + 16)
		return 0;
	pl = n - 28;
	ctx = EVP_CIPHER_CTX_new();
	ok = ctx != NULL &&
	    EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key.k, raw) &&
	    EVP_DecryptUpdate(ctx, NULL, &l,
	    (const unsigned char *)"warden seal v1", 15) &&
	    EVP_DecryptUpdate(ctx, NULL, &l, (const unsigned char *)ad,
	    (int)strlen(ad)) &&
	    EVP_DecryptUpdate(ctx, out, &l, raw + 12, (int)pl) &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16,
	    raw + 12 + pl) &&
	    EVP_DecryptFinal_ex(ctx, out + l, &l) > 0;
	EVP_CIPHER_CTX_free(ctx);
	*olen = pl;
	return ok;
}

static void
test_round_trip(void)
{
	static const size_t	 lens[] = { 1, 2, 3, 20, 32, 100, 255, 256 };
	unsigned char		 plain[WD_SEAL_MAX_PLAIN];
	unsigned char		 out[WD_SEAL_MAX_PLAIN];
	unsigned char		 orc[WD_SEAL_MAX_PLAIN];
	char			 t1[WD_SEAL_MAX_TEXT + 1];
	char			 t2[WD_SEAL_MAX_TEXT + 1];
	char			 name[64];
	size_t			 i, j, n, tl, ol, orl;
	int			 alpha;

	for (i = 0; i < sizeof(plain); i++)
		plain[i] = (unsigned char)(i * 7 + 3);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		n = lens[i];
		snprintf(name, sizeof(name), "round trip %zu bytes", n);
		tl = ol = orl = 0;
		CHECK(M, name, wd_seal(&key, plain, n, UUID1, 36, t1,
		    sizeof(t1), &tl) == WD_OK &&
		    tl == strlen(t1) && tl == WD_SEAL_TEXT_LEN(n) &&
		    wd_open(&key, t1, tl, UUID1, 36, out, sizeof(out), &ol) ==
		    WD_OK && ol == n && memcmp(out, plain, n) == 0);
		alpha = strncmp(t1, "v1:", 3) == 0;
		for (j = 3; j < tl; j++)
			if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
			    "qrstuvwxyz0123456789-_", t1[j]) == NULL)
				alpha = 0;
		snprintf(name, sizeof(name), "text form %zu bytes", n);
		CHECK(M, name, alpha);
		snprintf(name, sizeof(name), "format oracle %zu bytes", n);
		CHECK(M, name, oracle_open(t1, UUID1, orc, &orl) &&
		    orl == n && memcmp(orc, plain, n) == 0);
	}
	CHECK(M, "two seals differ (fresh nonce)",
	    wd_seal(&key, SECRET, 32, UUID1, 36, t1, sizeof(t1), NULL) ==
	    WD_OK &&
	    wd_seal(&key, SECRET, 32, UUID1, 36, t2, sizeof(t2), NULL) ==
	    WD_OK && strcmp(t1, t2) != 0 && strncmp(t1, t2, 10) != 0);
	CHECK(M, "empty associated data round-trips",
	    wd_seal(&key, SECRET, 32, NULL, 0, t1, sizeof(t1), &tl) ==
	    WD_OK &&
	    wd_open(&key, t1, tl, NULL, 0, out, sizeof(out), &ol) == WD_OK &&
	    ol == 32 && memcmp(out, SECRET, 32) == 0);
	CHECK(M, "a 32-byte secret's text is 83 bytes",
	    WD_SEAL_TEXT_LEN(32) == 83 && WD_SEAL_MAX_TEXT == 382);
}

static void
test_seal_bad(void)
{
	unsigned char	 plain[WD_SEAL_MAX_PLAIN + 1], ad[WD_SEAL_MAX_AD + 1];
	char		 t[WD_SEAL_MAX_TEXT + 2];
	size_t		 tl;

	memset(plain, 'p', sizeof(plain));
	memset(ad, 'a', sizeof(ad));
	tl = 4242;
	memset(t, 'x', sizeof(t));
	CHECK(M, "seal empty plaintext",
	    wd_seal(&key, plain, 0, UUID1, 36, t, sizeof(t), &tl) ==
	    WD_E_BADREQ && t[0] == '\0' && tl == 0);
	CHECK(M, "seal plaintext over max",
	    wd_seal(&key, plain, WD_SEAL_MAX_PLAIN + 1, UUID1, 36, t,
	    sizeof(t), &tl) == WD_E_BADREQ && t[0] == '\0');
	CHECK(M, "seal ad over max",
	    wd_seal(&key, plain, 32, ad, WD_SEAL_MAX_AD + 1, t, sizeof(t),
	    &tl) == WD_E_BADREQ);
	CHECK(M, "seal NULL ad with a length",
	    wd_seal(&key, plain, 32, NULL, 1, t, sizeof(t), &tl) ==
	    WD_E_BADREQ);
	CHECK(M, "seal cap one short",
	    wd_seal(&key, plain, 32, UUID1, 36, t, WD_SEAL_TEXT_LEN(32),
	    &tl) == WD_E_TOOBIG && t[0] == '\0' && t[1] == '\0');
	CHECK(M, "seal zero cap",
	    wd_seal(&key, plain, 32, UUID1, 36, NULL, 0, &tl) ==
	    WD_E_TOOBIG);
	CHECK(M, "seal ad of max and cap exact",
	    wd_seal(&key, plain, WD_SEAL_MAX_PLAIN, ad, WD_SEAL_MAX_AD, t,
	    WD_SEAL_MAX_TEXT + 1, &tl) == WD_OK && tl == WD_SEAL_MAX_TEXT);
}

struct open_case {
	const char	*name;
	const char	*text;	/* NULL: made by the test */
	enum wd_err	 want;
};

/* Opens text and checks the answer, and that out was wiped. */
static void
open_expect(const char *name, const char *text, size_t n,
    const struct wd_seal_key *k, const char *ad, enum wd_err want)
{
	unsigned char	 out[WD_SEAL_MAX_PLAIN];
	char		*cp;
	size_t		 ol = 4242;
	enum wd_err	 rc;

	cp = malloc(n > 0 ? n : 1);	/* exact size: ASan sees overreads */
	if (cp == NULL)
		return;
	memcpy(cp, text, n);
	memset(out, 0xAA, sizeof(out));
	rc = wd_open(k, cp, n, ad, ad != NULL ? strlen(ad) : 0, out,
	    sizeof(out), &ol);
	CHECK(M, name, rc == want && ol == 0 && all_zero(out, sizeof(out)));
	free(cp);
}

static void
test_tamper(void)
{
	static const struct {
		const char	*name;
		size_t		 at;	/* byte offset in nonce|ct|tag */
	} flips[] = {
		{ "tamper nonce first byte", 0 },
		{ "tamper nonce last byte", 11 },
		{ "tamper ciphertext first byte", 12 },
		{ "tamper ciphertext middle byte", 12 + 16 },
		{ "tamper ciphertext last byte", 12 + 31 },
		{ "tamper tag first byte", 12 + 32 },
		{ "tamper tag last byte", 12 + 32 + 15 },
	};
	unsigned char	 raw[WD_SEAL_MAX_TEXT], mod[WD_SEAL_MAX_TEXT];
	char		 t[WD_SEAL_MAX_TEXT + 1], u[WD_SEAL_MAX_TEXT + 8];
	size_t		 tl = 0, rl, i;

	if (wd_seal(&key, SECRET, 32, UUID1, 36, t, sizeof(t), &tl) !=
	    WD_OK) {
		CHECK(M, "tamper: seal", 0);
		return;
	}
	rl = body_decode(t, raw, sizeof(raw));
	CHECK(M, "tamper: body is nonce | 32 | tag", rl == 12 + 32 + 16);
	for (i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		memcpy(mod, raw, rl);
		mod[flips[i].at] ^= 0x01;
		body_encode(mod, rl, u, sizeof(u));
		open_expect(flips[i].name, u, strlen(u), &key, UUID1,
		    WD_E_UNAUTH);
	}
	/* length changes: one byte less or more opens nothing */
	body_encode(raw, rl - 1, u, sizeof(u));
	open_expect("tamper tag truncated by a byte", u, strlen(u), &key,
	    UUID1, WD_E_UNAUTH);
	memcpy(mod, raw, rl);
	mod[rl] = 0;
	body_encode(mod, rl + 1, u, sizeof(u));
	open_expect("tamper a byte appended", u, strlen(u), &key, UUID1,
	    WD_E_UNAUTH);
	body_encode(raw, 12 + 16, u, sizeof(u));
	open_expect("tamper ciphertext removed", u, strlen(u), &key, UUID1,
	    WD_E_BADREQ);
	/* the prefix */
	memcpy(u, t, tl + 1);
	u[1] = '2';
	open_expect("tamper version v2", u, tl, &key, UUID1, WD_E_BADREQ);
	memcpy(u, t, tl + 1);
	u[0] = 'V';
	open_expect("tamper version V1", u, tl, &key, UUID1, WD_E_BADREQ);
	open_expect("tamper prefix dropped", t + 3, tl - 3, &key, UUID1,
	    WD_E_BADREQ);
	open_expect("tamper colon dropped", t + 1, tl - 1, &key, UUID1,
	    WD_E_BADREQ);
	/* the text itself */
	memcpy(u, t, tl);
	memcpy(u + tl, "==", 3);
	open_expect("tamper padding added", u, tl + 2, &key, UUID1,
	    WD_E_BADREQ);
	memcpy(u, t, tl);
	memcpy(u + tl, "\n", 2);
	open_expect("tamper trailing newline", u, tl + 1, &key, UUID1,
	    WD_E_BADREQ);
	memcpy(u, t, tl + 1);
	u[10] = '+';
	open_expect("tamper standard base64 char", u, tl, &key, UUID1,
	    WD_E_BADREQ);
	memcpy(u, t, tl + 1);
	u[10] = '\0';
	open_expect("tamper NUL inside", u, tl, &key, UUID1, WD_E_BADREQ);
	memcpy(u, t, tl + 1);
	u[tl] = 'A';
	open_expect("tamper one char appended (length 1 mod 4)", u, tl + 1,
	    &key, UUID1, WD_E_BADREQ);
	open_expect("tamper empty", "", 0, &key, UUID1, WD_E_BADREQ);
	open_expect("tamper prefix only", "v1:", 3, &key, UUID1,
	    WD_E_BADREQ);
	/* wrong key and associated data */
	open_expect("wrong key", t, tl, &key2, UUID1, WD_E_UNAUTH);
	open_expect("wrong ad (another account)", t, tl, &key, UUID2,
	    WD_E_UNAUTH);
	open_expect("wrong ad (upper-case id)", t, tl, &key,
	    "3F2504E0-4F89-41D3-9A0C-0305E82C3301", WD_E_UNAUTH);
	open_expect("wrong ad (empty)", t, tl, &key, NULL, WD_E_UNAUTH);
}

/* Unused bits (RFC 4648 §3.5): a set one is refused before decryption. */
static void
test_unused_bits(void)
{
	char		 t[WD_SEAL_MAX_TEXT + 1];
	unsigned char	 out[WD_SEAL_MAX_PLAIN];
	size_t		 tl = 0, ol = 0;
	char		*last;

	/* 12 + 17 + 16 = 45 bytes = 60 chars: none; 12 + 18 + 16 = 46 =
	 * 61.33 -> 62 chars with 4 unused bits */
	CHECK(M, "unused bits: seal 18 bytes",
	    wd_seal(&key, "123456789012345678", 18, UUID1, 36, t,
	    sizeof(t), &tl) == WD_OK && tl == 3 + 62 &&
	    wd_open(&key, t, tl, UUID1, 36, out, sizeof(out), &ol) == WD_OK);
	/* the last character's value has its 4 unused bits clear, so it is
	 * one of A, Q, g, w; the next character sets the lowest of them */
	last = t + tl - 1;
	*last = (char)(*last + 1);
	open_expect("tamper unused bits of the last char", t, tl, &key,
	    UUID1, WD_E_BADREQ);
}

static void
test_open_cap(void)
{
	unsigned char	 out[32];
	char		 t[WD_SEAL_MAX_TEXT + 1];
	size_t		 tl = 0, ol = 4242;

	wd_seal(&key, SECRET, 32, UUID1, 36, t, sizeof(t), &tl);
	memset(out, 0xAA, sizeof(out));
	CHECK(M, "open cap one short",
	    wd_open(&key, t, tl, UUID1, 36, out, 31, &ol) == WD_E_TOOBIG &&
	    ol == 0 && all_zero(out, 31));
	CHECK(M, "open cap exact",
	    wd_open(&key, t, tl, UUID1, 36, out, 32, &ol) == WD_OK &&
	    ol == 32);
	CHECK(M, "open NULL ad with a length",
	    wd_open(&key, t, tl, NULL, 36, out, 32, &ol) == WD_E_BADREQ);
	CHECK(M, "open text over max",
	    wd_open(&key, t, WD_SEAL_MAX_TEXT + 1, UUID1, 36, out, 32,
	    &ol) == WD_E_BADREQ);
}

int
main(void)
{
	if (wd_seal_key_parse(HEXKEY, 64, &key, NULL) != WD_OK ||
	    wd_seal_key_parse("ff0102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f", 64, &key2, NULL) != WD_OK) {
		CHECK(M, "test keys parse", 0);
		return 1;
	}
	test_key_parse();
	test_round_trip();
	test_seal_bad();
	test_tamper();
	test_unused_bits();
	test_open_cap();
	wd_seal_key_cleanup(&key);
	wd_seal_key_cleanup(&key2);
	return WD_TEST_RESULT();
}
