/*
 * wd_json.h: strict, bounded JSON in (json-c) and JSON strings out.
 */
#ifndef WD_JSON_H
#define WD_JSON_H

#include <stddef.h>
#include <json-c/json.h>

#include "wd_buf.h"
#include "wd_err.h"

/*
 * Parses exactly len bytes as one strict JSON value (RFC 8259, UTF-8
 * validated) nested at most depth levels, with no trailing bytes.
 * On success *out is owned by the caller (json_object_put).
 * WD_E_BADJSON on any syntax, depth, encoding or trailing-byte error;
 * WD_E_TOOBIG when len exceeds INT_MAX.
 */
enum wd_err	wd_json_parse(const char *p, size_t len, int depth,
		    struct json_object **out);

/*
 * As wd_json_parse, and WD_E_TOOBIG (before anything is built) when the
 * text holds more than max_values values (objects, arrays, strings,
 * numbers, literals): json-c spends ~800 bytes on an empty object, so
 * 8 MiB of "{}," would take 2 GiB.
 */
enum wd_err	wd_json_parse_max(const char *p, size_t len, int depth,
		    size_t max_values, struct json_object **out);

/* Appends s (len bytes) as a quoted JSON string, escaping per RFC 8259.
 * Returns wd_buf_status(b) afterwards (an earlier failure of b included);
 * a builder may ignore it and check b once at the end. */
enum wd_err	wd_json_add_str(struct wd_buf *b, const char *s, size_t len);

/*
 * A field table for reading an object by schema (kcgi kvalid), never by
 * trusting it: unknown fields are ignored, known ones must match type and
 * max_len (bytes, strings only), required ones must be present and
 * non-null.
 */
struct wd_json_field {
	const char	*name;
	enum json_type	 type;
	size_t		 max_len;
	int		 required;
};

/*
 * Looks up each of the n fields of obj into vals[i] (borrowed from obj;
 * NULL when absent or null). Returns WD_E_BADREQ naming nothing secret;
 * *bad (if not NULL) is set to the offending field's name.
 */
enum wd_err	wd_json_fields(struct json_object *obj,
		    const struct wd_json_field *f, size_t n,
		    struct json_object **vals, const char **bad);

#endif
