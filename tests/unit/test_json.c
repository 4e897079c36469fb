/*
 * test_json.c: strict bounded parsing, string output and field tables
 * (src/wd_json.c).
 */
#include <stdlib.h>
#include <string.h>

#include "wd_json.h"
#include "wd_limits.h"
#include "wd_test.h"

#define M	"json"

struct parse_case {
	const char	*name;
	const char	*in;
	size_t		 len;	/* 0: strlen(in) */
	enum wd_err	 want;
};

static void
test_parse(void)
{
	static const struct parse_case cases[] = {
		/* syntax */
		{ "parse empty", "", 0, WD_E_BADJSON },
		{ "parse blanks only", "  \n", 0, WD_E_BADJSON },
		{ "parse truncated", "{\"a\":", 0, WD_E_BADJSON },
		{ "parse unbalanced", "{\"a\":1", 0, WD_E_BADJSON },
		{ "parse trailing garbage", "{} x", 0, WD_E_BADJSON },
		{ "parse two documents", "{}{}", 0, WD_E_BADJSON },
		{ "parse trailing comma-separated doc", "{},{}", 0,
		    WD_E_BADJSON },
		{ "parse trailing NUL", "{}\0", 3, WD_E_BADJSON },
		{ "parse embedded NUL in string", "{\"a\":\"x\0y\"}", 11,
		    WD_E_BADJSON },
		{ "parse embedded NUL before doc", "\0{}", 3, WD_E_BADJSON },
		/* what json-c accepts only in non-strict mode */
		{ "parse single quotes", "{'a':1}", 0, WD_E_BADJSON },
		{ "parse single-quoted value", "['a']", 0, WD_E_BADJSON },
		{ "parse trailing comma in object", "{\"a\":1,}", 0,
		    WD_E_BADJSON },
		{ "parse trailing comma in array", "[1,]", 0, WD_E_BADJSON },
		{ "parse block comment", "/*c*/{}", 0, WD_E_BADJSON },
		{ "parse line comment", "{}// c", 0, WD_E_BADJSON },
		{ "parse unquoted name", "{a:1}", 0, WD_E_BADJSON },
		{ "parse True", "[True]", 0, WD_E_BADJSON },
		{ "parse nan", "[nan]", 0, WD_E_BADJSON },
		{ "parse NaN", "[NaN]", 0, WD_E_BADJSON },
		{ "parse Infinity", "[Infinity]", 0, WD_E_BADJSON },
		{ "parse -Infinity", "[-Infinity]", 0, WD_E_BADJSON },
		{ "parse leading zero", "[01]", 0, WD_E_BADJSON },
		{ "parse leading +", "[+1]", 0, WD_E_BADJSON },
		{ "parse leading .", "[.5]", 0, WD_E_BADJSON },
		{ "parse trailing .", "[1.]", 0, WD_E_BADJSON },
		{ "parse bad escape", "[\"\\x\"]", 0, WD_E_BADJSON },
		{ "parse raw tab in string", "[\"a\tb\"]", 0, WD_E_BADJSON },
		{ "parse raw newline in string", "[\"a\nb\"]", 0,
		    WD_E_BADJSON },
		{ "parse missing colon", "{\"a\" 1}", 0, WD_E_BADJSON },
		{ "parse missing comma", "[1 2]", 0, WD_E_BADJSON },
		{ "parse vertical tab as blank", "\v{}", 0, WD_E_BADJSON },
		/* encoding */
		{ "parse invalid UTF-8 byte ff", "[\"\xff\"]", 0,
		    WD_E_BADJSON },
		{ "parse truncated UTF-8", "[\"\xe2\x82\"]", 0, WD_E_BADJSON },
		{ "parse lone continuation byte", "[\"\x80\"]", 0,
		    WD_E_BADJSON },
		{ "parse overlong UTF-8 '/'", "[\"\xc0\xaf\"]", 0,
		    WD_E_BADJSON },
		{ "parse UTF-8 encoded surrogate", "[\"\xed\xa0\x80\"]", 0,
		    WD_E_BADJSON },
		{ "parse UTF-8 above U+10FFFF", "[\"\xf4\x90\x80\x80\"]", 0,
		    WD_E_BADJSON },
		/* good */
		{ "parse object", "{\"a\":[1,2.5,true,false,null,\"s\"]}", 0,
		    WD_OK },
		{ "parse array", "[]", 0, WD_OK },
		{ "parse string", "\"a\"", 0, WD_OK },
		{ "parse top-level number", "123", 0, WD_OK },
		{ "parse top-level true", "true", 0, WD_OK },
		{ "parse top-level null", "null", 0, WD_OK },
		{ "parse surrounding blanks", " \t\r\n{} \n", 0, WD_OK },
		{ "parse valid UTF-8", "[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98"
		    "\x80\"]", 0, WD_OK },
		{ "parse escapes", "[\"\\u0041\\n\\\"\\\\\\/\"]", 0, WD_OK },
		{ "parse escaped NUL", "[\"a\\u0000b\"]", 0, WD_OK },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct parse_case	*c = &cases[i];
		struct json_object	*o = (struct json_object *)&o;
		size_t			 len;
		enum wd_err		 rc;

		len = c->len != 0 ? c->len : strlen(c->in);
		rc = wd_json_parse(c->in, len, WD_MAX_JSON_DEPTH, &o);
		if (c->want == WD_OK)
			CHECK(M, c->name, rc == WD_OK);
		else
			CHECK(M, c->name, rc == c->want && o == NULL);
		if (rc == WD_OK)
			json_object_put(o);
	}
}

static void
test_depth(void)
{
	static const struct {
		const char	*name;
		int		 nest;
		int		 depth;
		enum wd_err	 want;
	} cases[] = {
		{ "depth 17 arrays, limit 16", 17, 16, WD_E_BADJSON },
		{ "depth 100 arrays, limit 16", 100, 16, WD_E_BADJSON },
		{ "depth 3 arrays, limit 2", 3, 2, WD_E_BADJSON },
		{ "depth 15 arrays, limit 16", 15, 16, WD_OK },
		{ "depth 1 array, limit 16", 1, 16, WD_OK },
	};
	size_t	 i;
	char	 buf[256];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_object	*o = NULL;
		int			 n = cases[i].nest;
		enum wd_err		 rc;

		memset(buf, '[', (size_t)n);
		memset(buf + n, ']', (size_t)n);
		rc = wd_json_parse(buf, 2 * (size_t)n, cases[i].depth, &o);
		CHECK(M, cases[i].name, rc == cases[i].want);
		json_object_put(o);
	}
	/* objects nest the same way */
	{
		struct json_object	*o = NULL;
		struct wd_buf		 b;
		int			 k;

		wd_buf_init(&b, 4096);
		for (k = 0; k < 17; k++)
			(void)wd_buf_adds(&b, "{\"a\":");
		(void)wd_buf_adds(&b, "1");
		for (k = 0; k < 17; k++)
			(void)wd_buf_adds(&b, "}");
		CHECK(M, "depth 17 objects, limit 16",
		    wd_json_parse(b.p, b.len, 16, &o) == WD_E_BADJSON);
		json_object_put(o);
		wd_buf_cleanup(&b);
	}
}

static void
test_add_str(void)
{
	static const struct {
		const char	*name;
		const char	*in;
		size_t		 len;	/* 0: strlen */
		const char	*want;
	} cases[] = {
		{ "str empty", "", 0, "\"\"" },
		{ "str plain", "abc", 0, "\"abc\"" },
		{ "str quote", "a\"b", 0, "\"a\\\"b\"" },
		{ "str backslash", "a\\b", 0, "\"a\\\\b\"" },
		{ "str \\u0001", "\x01", 0, "\"\\u0001\"" },
		{ "str newline", "a\nb", 0, "\"a\\u000ab\"" },
		{ "str CR", "\r", 0, "\"\\u000d\"" },
		{ "str 0x1f", "\x1f", 0, "\"\\u001f\"" },
		{ "str NUL", "a\0b", 3, "\"a\\u0000b\"" },
		{ "str slash kept", "a/b", 0, "\"a/b\"" },
		{ "str UTF-8 kept", "\xc3\xa9", 0, "\"\xc3\xa9\"" },
		{ "str quote at end", "ab\"", 0, "\"ab\\\"\"" },
		{ "str length-limited", "abcdef", 3, "\"abc\"" },
	};
	/* round trip: what we write, json-c reads back unchanged */
	static const struct {
		const char	*in;
		size_t		 len;
	} rt[] = {
		{ "", 0 }, { "plain", 5 }, { "\"\\\"\\", 4 },
		{ "\x01\x02\x1f\x7f", 4 }, { "\t\r\n\b\f", 5 },
		{ "a\0b", 3 }, { "\xc3\xa9t\xc3\xa9", 6 },
		{ "\xe2\x82\xac 5", 5 }, { "\xf0\x9f\x98\x80", 4 },
		{ "</script>", 9 }, { "\xe2\x80\xa8", 3 },
	};
	size_t	 i;
	char	 name[64];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wd_buf	 b;
		size_t		 len;

		len = cases[i].len != 0 ? cases[i].len : strlen(cases[i].in);
		wd_buf_init(&b, 1024);
		CHECK(M, cases[i].name, wd_json_add_str(&b, cases[i].in,
		    len) == WD_OK && strcmp(wd_buf_str(&b),
		    cases[i].want) == 0);
		wd_buf_cleanup(&b);
	}
	for (i = 0; i < sizeof(rt) / sizeof(rt[0]); i++) {
		struct wd_buf		 b;
		struct json_object	*o = NULL;
		int			 ok;

		wd_buf_init(&b, 1024);
		ok = wd_json_add_str(&b, rt[i].in, rt[i].len) == WD_OK &&
		    wd_json_parse(b.p, b.len, 4, &o) == WD_OK &&
		    json_object_is_type(o, json_type_string) &&
		    (size_t)json_object_get_string_len(o) == rt[i].len &&
		    memcmp(json_object_get_string(o), rt[i].in,
		    rt[i].len) == 0;
		snprintf(name, sizeof(name), "str round trip #%zu", i);
		CHECK(M, name, ok);
		json_object_put(o);
		wd_buf_cleanup(&b);
	}
	/* every byte below 0x80 */
	{
		struct wd_buf		 b;
		struct json_object	*o = NULL;
		char			 all[128];
		int			 ok;

		for (i = 0; i < sizeof(all); i++)
			all[i] = (char)i;
		wd_buf_init(&b, 2048);
		ok = wd_json_add_str(&b, all, sizeof(all)) == WD_OK &&
		    wd_json_parse(b.p, b.len, 4, &o) == WD_OK &&
		    (size_t)json_object_get_string_len(o) == sizeof(all) &&
		    memcmp(json_object_get_string(o), all, sizeof(all)) == 0;
		CHECK(M, "str round trip all ASCII", ok);
		json_object_put(o);
		wd_buf_cleanup(&b);
	}
	/* bounded by the buffer */
	{
		struct wd_buf	 b;

		wd_buf_init(&b, 8);
		CHECK(M, "str past buffer max", wd_json_add_str(&b,
		    "\x01\x01", 2) == WD_E_TOOBIG);
		wd_buf_cleanup(&b);
		wd_buf_init(&b, 8);
		CHECK(M, "str exactly buffer max", wd_json_add_str(&b,
		    "abcdef", 6) == WD_OK && b.len == 8);
		wd_buf_cleanup(&b);
	}
}

static void
test_fields(void)
{
	static const struct wd_json_field f[] = {
		{ "email", json_type_string, 8, 1 },
		{ "age", json_type_int, 0, 0 },
		{ "ok", json_type_boolean, 0, 0 },
	};
	static const struct {
		const char	*name;
		const char	*in;
		enum wd_err	 want;
		const char	*bad;	/* expected *bad on error */
		int		 present;	/* bitmask of vals set */
	} cases[] = {
		{ "fields required missing", "{\"age\":1}", WD_E_BADREQ,
		    "email", 0 },
		{ "fields required null", "{\"email\":null}", WD_E_BADREQ,
		    "email", 0 },
		{ "fields wrong type string", "{\"email\":5}", WD_E_BADREQ,
		    "email", 0 },
		{ "fields wrong type int", "{\"email\":\"a\",\"age\":\"1\"}",
		    WD_E_BADREQ, "age", 0 },
		{ "fields double for int",
		    "{\"email\":\"a\",\"age\":1.5}", WD_E_BADREQ, "age", 0 },
		{ "fields wrong type bool",
		    "{\"email\":\"a\",\"ok\":1}", WD_E_BADREQ, "ok", 0 },
		{ "fields over max_len", "{\"email\":\"123456789\"}",
		    WD_E_BADREQ, "email", 0 },
		{ "fields array where string",
		    "{\"email\":[\"a\"]}", WD_E_BADREQ, "email", 0 },
		{ "fields non-object array", "[]", WD_E_BADREQ, "(body)", 0 },
		{ "fields non-object string", "\"x\"", WD_E_BADREQ, "(body)",
		    0 },
		{ "fields all", "{\"email\":\"a@b\",\"age\":3,\"ok\":true}",
		    WD_OK, NULL, 7 },
		{ "fields max_len exactly", "{\"email\":\"12345678\"}", WD_OK,
		    NULL, 1 },
		{ "fields optional null treated as absent",
		    "{\"email\":\"a\",\"age\":null}", WD_OK, NULL, 1 },
		{ "fields unknown ignored",
		    "{\"email\":\"a\",\"x\":[1,{}],\"y\":null}", WD_OK, NULL,
		    1 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_object	*o = NULL, *vals[3];
		const char		*bad = NULL;
		enum wd_err		 rc;
		int			 ok, k;

		if (wd_json_parse(cases[i].in, strlen(cases[i].in), 8, &o) !=
		    WD_OK) {
			CHECK(M, cases[i].name, 0);
			continue;
		}
		rc = wd_json_fields(o, f, 3, vals, &bad);
		ok = rc == cases[i].want;
		if (ok && rc != WD_OK)
			ok = bad != NULL && strcmp(bad, cases[i].bad) == 0;
		if (ok && rc == WD_OK)
			for (k = 0; k < 3; k++)
				if ((vals[k] != NULL) !=
				    ((cases[i].present >> k) & 1))
					ok = 0;
		CHECK(M, cases[i].name, ok);
		json_object_put(o);
	}
	{
		struct json_object	*vals[3];

		CHECK(M, "fields NULL object", wd_json_fields(NULL, f, 3, vals,
		    NULL) == WD_E_BADREQ);
	}
}

int
main(void)
{
	test_parse();
	test_depth();
	test_add_str();
	test_fields();
	return WD_TEST_RESULT();
}
