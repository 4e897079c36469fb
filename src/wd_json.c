/*
 * wd_json.c: JSON parsing for untrusted bodies. json-c's tokener is bounded
 * by depth and run in strict mode; the whole input must be consumed so a
 * second document or garbage after the first cannot slip through.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "wd_json.h"
#include "wd_util.h"

/* Length of an RFC 8259 §6 number at p, or 0 when malformed ("1.",
 * "01", "-", ".5", "1e"). */
static size_t
number_len(const unsigned char *p, size_t n)
{
	size_t	 i = 0, d;

	if (i < n && p[i] == '-')
		i++;
	if (i < n && p[i] == '0')
		i++;
	else if (i < n && p[i] >= '1' && p[i] <= '9')
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	else
		return 0;
	if (i < n && p[i] == '.') {
		for (d = ++i; i < n && p[i] >= '0' && p[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		for (d = i; i < n && p[i] >= '0' && p[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	/* a digit right after the number ("01") is malformed */
	if (i < n && p[i] >= '0' && p[i] <= '9')
		return 0;
	return i;
}

/*
 * What json-c 0.16 lets through even in strict mode is refused here
 * before it parses: invalid UTF-8, raw control characters inside strings,
 * single quotes, and bare words other than true/false/null (NaN,
 * Infinity). It also counts object keys (a string followed by ':') so the
 * caller can detect a repeated key, which json-c merges silently, and
 * values (a key counted as one too: a bound, not an exact count).
 */
static enum wd_err
prescan(const char *s, size_t len, size_t *nkeys, size_t *nvalues)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, k, n;

	*nkeys = 0;
	*nvalues = 0;
	while (i < len) {
		unsigned char	 c = p[i];

		if (c == '"' || c == '{' || c == '[' || c == '-' ||
		    (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))
			(*nvalues)++;
		if (c == '"') {
			for (i++; i < len && p[i] != '"'; i += n) {
				if (p[i] < 0x20)
					return WD_E_BADJSON;
				if (p[i] == '\\') {
					if (i + 1 >= len)
						return WD_E_BADJSON;
					n = 2;
					continue;
				}
				n = wd_utf8_len(p + i, len - i, NULL);
				if (n == 0)
					return WD_E_BADJSON;
			}
			if (i >= len)
				return WD_E_BADJSON;
			i++;
			for (k = i; k < len && (p[k] == ' ' || p[k] == '\t' ||
			    p[k] == '\n' || p[k] == '\r'); k++)
				;
			if (k < len && p[k] == ':')
				(*nkeys)++;
			continue;
		}
		if (c == '-' || (c >= '0' && c <= '9')) {
			n = number_len(p + i, len - i);
			if (n == 0)
				return WD_E_BADJSON;
			i += n;
			continue;
		}
		if (c >= 'a' && c <= 'z') {
			for (k = i; k < len && p[k] >= 'a' && p[k] <= 'z'; k++)
				;
			n = k - i;
			if (!((n == 4 && memcmp(s + i, "true", 4) == 0) ||
			    (n == 5 && memcmp(s + i, "false", 5) == 0) ||
			    (n == 4 && memcmp(s + i, "null", 4) == 0)))
				return WD_E_BADJSON;
			i = k;
			continue;
		}
		if (strchr("{}[]:, \t\n\r", c) == NULL ||
		    c == '\0')
			return WD_E_BADJSON;
		i++;
	}
	return WD_OK;
}

/* Keys in the parsed tree: fewer than in the text means a repeat. */
static size_t
count_keys(struct json_object *o)
{
	size_t	 n = 0, i, len;

	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v) {
			(void)k;
			n += 1 + count_keys(v);
		}
	} else if (json_object_is_type(o, json_type_array)) {
		len = json_object_array_length(o);
		for (i = 0; i < len; i++)
			n += count_keys(json_object_array_get_idx(o, i));
	}
	return n;
}

enum wd_err
wd_json_parse(const char *p, size_t len, int depth, struct json_object **out)
{
	return wd_json_parse_max(p, len, depth, SIZE_MAX, out);
}

enum wd_err
wd_json_parse_max(const char *p, size_t len, int depth, size_t max_values,
    struct json_object **out)
{
	enum wd_err		 rc = WD_E_BADJSON;
	struct json_tokener	*tok = NULL;
	struct json_object	*obj = NULL;
	size_t			 nkeys, nvalues;

	*out = NULL;
	if (len > INT_MAX) {
		rc = WD_E_TOOBIG;
		goto out;
	}
	if (len == 0 || memchr(p, '\0', len) != NULL ||
	    prescan(p, len, &nkeys, &nvalues) != WD_OK)
		goto out;
	if (nvalues > max_values) {
		rc = WD_E_TOOBIG;
		goto out;
	}
	tok = json_tokener_new_ex(depth);
	if (tok == NULL) {
		rc = WD_E_INTERNAL;
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, p, (int)len);
	if (obj == NULL && json_tokener_get_error(tok) ==
	    json_tokener_continue) {
		/* a top-level number ends only at a delimiter: give one */
		obj = json_tokener_parse_ex(tok, " ", 1);
		if (json_tokener_get_error(tok) != json_tokener_success)
			goto out;	/* (obj NULL is JSON null) */
	} else if (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len)
		goto out;
	if (count_keys(obj) != nkeys)
		goto out;	/* a key repeated in one object */
	*out = obj;
	obj = NULL;
	rc = WD_OK;
out:
	json_object_put(obj);
	if (tok != NULL)
		json_tokener_free(tok);
	return rc;
}

enum wd_err
wd_json_add_str(struct wd_buf *b, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, run = 0;
	char			 esc[7];

	wd_buf_add(b, "\"", 1);
	for (i = 0; i < len; i++) {
		unsigned char	 c = (unsigned char)s[i];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		/* flush the clean run before this byte, then escape it */
		wd_buf_add(b, s + run, i - run);
		run = i + 1;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			wd_buf_add(b, esc, 2);
		} else {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			wd_buf_add(b, esc, 6);
		}
	}
	wd_buf_add(b, s + run, len - run);
	wd_buf_add(b, "\"", 1);
	return wd_buf_status(b);
}

enum wd_err
wd_json_fields(struct json_object *obj, const struct wd_json_field *f,
    size_t n, struct json_object **vals, const char **bad)
{
	size_t	 i;

	if (!json_object_is_type(obj, json_type_object)) {
		if (bad != NULL)
			*bad = "(body)";
		return WD_E_BADREQ;
	}
	for (i = 0; i < n; i++) {
		struct json_object	*v = NULL;

		vals[i] = NULL;
		if (!json_object_object_get_ex(obj, f[i].name, &v) ||
		    json_object_is_type(v, json_type_null)) {
			if (f[i].required)
				goto bad;
			continue;
		}
		if (!json_object_is_type(v, f[i].type))
			goto bad;
		if (f[i].type == json_type_string &&
		    (size_t)json_object_get_string_len(v) > f[i].max_len)
			goto bad;
		vals[i] = v;
		continue;
bad:
		if (bad != NULL)
			*bad = f[i].name;
		return WD_E_BADREQ;
	}
	return WD_OK;
}
