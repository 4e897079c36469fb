/*
 * wd_json.c: JSON parsing for untrusted bodies. json-c's tokener is bounded
 * by depth and run in strict mode; the whole input must be consumed so a
 * second document or garbage after the first cannot slip through.
 */
#include <limits.h>
#include <string.h>

#include "wd_json.h"

enum wd_err
wd_json_parse(const char *p, size_t len, int depth, struct json_object **out)
{
	enum wd_err		 rc = WD_E_BADJSON;
	struct json_tokener	*tok = NULL;
	struct json_object	*obj = NULL;

	*out = NULL;
	if (len > INT_MAX) {
		rc = WD_E_TOOBIG;
		goto out;
	}
	if (len == 0 || memchr(p, '\0', len) != NULL)
		goto out;
	tok = json_tokener_new_ex(depth);
	if (tok == NULL) {
		rc = WD_E_INTERNAL;
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, p, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success)
		goto out;
	if (json_tokener_get_parse_end(tok) != len)
		goto out;
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
	enum wd_err		 rc;
	size_t			 i, run = 0;
	char			 esc[7];

	rc = wd_buf_add(b, "\"", 1);
	for (i = 0; rc == WD_OK && i < len; i++) {
		unsigned char	 c = (unsigned char)s[i];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		/* flush the clean run before this byte, then escape it */
		rc = wd_buf_add(b, s + run, i - run);
		if (rc != WD_OK)
			break;
		run = i + 1;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			rc = wd_buf_add(b, esc, 2);
		} else {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			rc = wd_buf_add(b, esc, 6);
		}
	}
	if (rc == WD_OK)
		rc = wd_buf_add(b, s + run, len - run);
	if (rc == WD_OK)
		rc = wd_buf_add(b, "\"", 1);
	return rc;
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
