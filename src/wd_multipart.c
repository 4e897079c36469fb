/*
 * wd_multipart.c: streaming multipart/form-data. Trust boundary: every
 * byte is the client's. The delimiter search keeps no copy of the input:
 * a partial match at the end of a chunk is remembered as a count, and if
 * it turns out not to be the delimiter the bytes are re-emitted from the
 * delimiter itself. That is exact because '\r' occurs in the delimiter
 * only at its start (boundaries are bchars, which exclude CR).
 */
#include <string.h>
#include <strings.h>

#include "wd_multipart.h"

enum {
	MP_PREAMBLE,
	MP_AFTER,	/* after a delimiter: "--" or padding CRLF */
	MP_HEADERS,
	MP_BODY,
	MP_DONE
};

/* Transport padding allowed after a delimiter (RFC 2046 §5.1.1). */
#define MP_MAX_PAD	64

static int
bchar(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || (c != '\0' &&
	    strchr("'()+_,-./:=? ", c) != NULL);
}

static int
tchar(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || (c != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static void
skip_ows(const char *s, size_t len, size_t *i)
{
	while (*i < len && (s[*i] == ' ' || s[*i] == '\t'))
		(*i)++;
}

/*
 * Reads one ";" name "=" value parameter at *i (after the leading ';').
 * name and value point into s; a quoted value is unescaped into vbuf
 * (vsz bytes). Returns 0 on a syntax error.
 */
static int
param(const char *s, size_t len, size_t *i, const char **name, size_t *nlen,
    const char **val, size_t *vlen, char *vbuf, size_t vsz)
{
	size_t	 n = 0;

	skip_ows(s, len, i);
	*name = s + *i;
	while (*i < len && tchar(s[*i]))
		(*i)++;
	*nlen = (size_t)(s + *i - *name);
	skip_ows(s, len, i);
	if (*nlen == 0 || *i >= len || s[*i] != '=')
		return 0;
	(*i)++;
	skip_ows(s, len, i);
	if (*i < len && s[*i] == '"') {
		for ((*i)++; *i < len && s[*i] != '"'; (*i)++) {
			if (s[*i] == '\\' && *i + 1 < len)
				(*i)++;
			if (n >= vsz)
				return 0;
			vbuf[n++] = s[*i];
		}
		if (*i >= len)
			return 0;
		(*i)++;
		*val = vbuf;
		*vlen = n;
	} else {
		*val = s + *i;
		while (*i < len && tchar(s[*i]))
			(*i)++;
		*vlen = (size_t)(s + *i - *val);
		if (*vlen == 0)
			return 0;
	}
	skip_ows(s, len, i);
	return 1;
}

int
wd_mp_ctype_valid(const char *p, size_t len)
{
	size_t	 i = 0, n;

	if (len == 0 || len > WD_MAX_CTYPE)
		return 0;
	for (i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return 0;
	for (i = 0, n = 0; i < len && tchar(p[i]); i++)
		n++;
	if (n == 0 || i >= len || p[i] != '/')
		return 0;
	for (i++, n = 0; i < len && tchar(p[i]); i++)
		n++;
	if (n == 0)
		return 0;
	skip_ows(p, len, &i);
	return i == len || p[i] == ';';
}

enum wd_err
wd_mp_boundary(const char *ct, size_t len, char *b, size_t bsz, size_t *blen)
{
	static const char	 mfd[] = "multipart/form-data";
	char			 vbuf[WD_MAX_MP_BOUNDARY + 1];
	const char		*name, *val;
	size_t			 i = sizeof(mfd) - 1, nlen, vlen, j;
	int			 found = 0;

	*blen = 0;
	if (len < i || strncasecmp(ct, mfd, i) != 0 ||
	    (len > i && ct[i] != ';' && ct[i] != ' ' && ct[i] != '\t'))
		return WD_E_NOTFOUND;
	if (bsz < WD_MAX_MP_BOUNDARY + 1)
		return WD_E_INTERNAL;
	skip_ows(ct, len, &i);
	while (i < len) {
		if (ct[i] != ';')
			return WD_E_BADREQ;
		i++;
		if (!param(ct, len, &i, &name, &nlen, &val, &vlen, vbuf,
		    sizeof(vbuf)))
			return WD_E_BADREQ;
		if (nlen != 8 || strncasecmp(name, "boundary", 8) != 0)
			continue;
		if (found++ > 0 || vlen == 0 || vlen > WD_MAX_MP_BOUNDARY ||
		    val[vlen - 1] == ' ')
			return WD_E_BADREQ;
		for (j = 0; j < vlen; j++)
			if (!bchar(val[j]))
				return WD_E_BADREQ;
		memcpy(b, val, vlen);
		b[vlen] = '\0';
		*blen = vlen;
	}
	return found ? WD_OK : WD_E_BADREQ;
}

void
wd_mp_init(struct wd_mp *mp, const char *b, size_t blen, wd_mp_data_fn data,
    void *arg)
{
	memset(mp, 0, sizeof(*mp));
	if (blen > WD_MAX_MP_BOUNDARY) {
		mp->err = WD_E_BADREQ;
		return;
	}
	memcpy(mp->delim, "\r\n--", 4);
	memcpy(mp->delim + 4, b, blen);
	mp->dlen = 4 + blen;
	mp->state = MP_PREAMBLE;
	/* the first delimiter may open the body without a CRLF before it:
	 * start as if one had been seen (RFC 2046 §5.1.1) */
	mp->k = 2;
	mp->data = data;
	mp->arg = arg;
}

/*
 * Parses the part's header block (hdr, ending "\r\n\r\n"): one
 * Content-Disposition: form-data with a name, an optional Content-Type.
 */
static enum wd_err
part_headers(struct wd_mp *mp)
{
	const char	*h = mp->hdr, *name, *val;
	char		 vbuf[WD_MAX_MP_HEADER];
	char		 ct[WD_MAX_CTYPE + 1];
	size_t		 len = mp->hlen - 2, i = 0, nlen, vlen;
	int		 have_cd = 0, have_ct = 0, is_file = 0;

	mp->in_file = 0;
	while (i + 2 <= len) {
		const char	*line = h + i, *eol, *colon;
		size_t		 ll, j;

		eol = memchr(line, '\r', len - i);
		if (eol == NULL || (size_t)(eol - h) + 1 >= mp->hlen ||
		    eol[1] != '\n')
			return WD_E_BADREQ;
		ll = (size_t)(eol - line);
		i += ll + 2;
		/* obs-fold and empty names are refused (RFC 9112 §5.2) */
		if (ll == 0 || line[0] == ' ' || line[0] == '\t')
			return WD_E_BADREQ;
		colon = memchr(line, ':', ll);
		if (colon == NULL || colon == line)
			return WD_E_BADREQ;
		j = (size_t)(colon - line) + 1;
		skip_ows(line, ll, &j);
		while (ll > j && (line[ll - 1] == ' ' || line[ll - 1] == '\t'))
			ll--;
		if ((size_t)(colon - line) == 19 &&
		    strncasecmp(line, "Content-Disposition", 19) == 0) {
			if (have_cd++ > 0 || ll - j < 9 ||
			    strncasecmp(line + j, "form-data", 9) != 0)
				return WD_E_BADREQ;
			j += 9;
			skip_ows(line, ll, &j);
			while (j < ll) {
				if (line[j] != ';')
					return WD_E_BADREQ;
				j++;
				if (!param(line, ll, &j, &name, &nlen, &val,
				    &vlen, vbuf, sizeof(vbuf)))
					return WD_E_BADREQ;
				if (nlen == 4 && strncasecmp(name, "name",
				    4) == 0 && vlen == 4 &&
				    memcmp(val, "file", 4) == 0)
					is_file = 1;
			}
		} else if ((size_t)(colon - line) == 12 &&
		    strncasecmp(line, "Content-Type", 12) == 0) {
			if (have_ct++ > 0)
				return WD_E_BADREQ;
			if (!wd_mp_ctype_valid(line + j, ll - j))
				return WD_E_BADREQ;
			/* kept aside: the disposition may come later */
			memcpy(ct, line + j, ll - j);
			ct[ll - j] = '\0';
		}
	}
	if (!have_cd)
		return WD_E_BADREQ;
	if (is_file) {
		if (mp->have_file)
			return WD_E_BADREQ;	/* one file per request */
		mp->have_file = 1;
		mp->in_file = 1;
		if (have_ct)
			memcpy(mp->ctype, ct, strlen(ct) + 1);
		else
			memcpy(mp->ctype, "application/octet-stream", 25);
	}
	return WD_OK;
}

/*
 * Looks for the delimiter from p[*ip]; emits data bytes when this is the
 * file's body. *found = 1 with *ip just past the delimiter, else the
 * chunk is used up.
 */
static enum wd_err
scan(struct wd_mp *mp, const char *p, size_t len, size_t *ip, int *found)
{
	size_t		 i = *ip, s = i;
	int		 emit = mp->state == MP_BODY && mp->in_file;
	enum wd_err	 rc;
	const char	*cr;

	*found = 0;
	while (i < len) {
		if (mp->k == 0) {
			cr = memchr(p + i, '\r', len - i);
			if (cr == NULL) {
				i = len;
				break;
			}
			i = (size_t)(cr - p);
			if (emit && i > s) {
				rc = mp->data(mp->arg, p + s, i - s);
				if (rc != WD_OK)
					return rc;
			}
			s = i;
			mp->k = 1;
			i++;
			continue;
		}
		if (p[i] == mp->delim[mp->k]) {
			i++;
			if (++mp->k == mp->dlen) {
				mp->k = 0;
				*ip = i;
				*found = 1;
				return WD_OK;
			}
			continue;
		}
		/* not the delimiter after all: what matched was data */
		if (emit) {
			rc = mp->data(mp->arg, mp->delim, mp->k);
			if (rc != WD_OK)
				return rc;
		}
		mp->k = 0;
		s = i;
	}
	if (mp->k == 0 && emit && len > s) {
		rc = mp->data(mp->arg, p + s, len - s);
		if (rc != WD_OK)
			return rc;
	}
	*ip = len;
	return WD_OK;
}

static enum wd_err
after_delim(struct wd_mp *mp, char c)
{
	switch (mp->after) {
	case 0:
		if (c == '-') {
			mp->after = 1;
			return WD_OK;
		}
		mp->after = 2;
		/* FALLTHROUGH */
	case 2:
		if ((c == ' ' || c == '\t') && ++mp->pad <= MP_MAX_PAD)
			return WD_OK;
		if (c != '\r')
			return WD_E_BADREQ;
		mp->after = 3;
		return WD_OK;
	case 1:
		if (c != '-')
			return WD_E_BADREQ;
		mp->state = MP_DONE;
		return WD_OK;
	default:
		if (c != '\n')
			return WD_E_BADREQ;
		if (++mp->nparts > WD_MAX_MP_PARTS)
			return WD_E_BADREQ;
		mp->state = MP_HEADERS;
		mp->hlen = 0;
		return WD_OK;
	}
}

enum wd_err
wd_mp_feed(struct wd_mp *mp, const char *p, size_t len)
{
	enum wd_err	 rc = WD_OK;
	size_t		 i = 0;
	int		 found;

	if (mp->err != WD_OK)
		return mp->err;
	while (rc == WD_OK && i < len) {
		switch (mp->state) {
		case MP_PREAMBLE:
		case MP_BODY:
			rc = scan(mp, p, len, &i, &found);
			if (rc != WD_OK || !found)
				break;
			if (mp->state == MP_BODY && mp->in_file)
				mp->file_done = 1;
			mp->in_file = 0;
			mp->state = MP_AFTER;
			mp->after = 0;
			mp->pad = 0;
			break;
		case MP_AFTER:
			rc = after_delim(mp, p[i++]);
			break;
		case MP_HEADERS:
			if (mp->hlen >= sizeof(mp->hdr)) {
				rc = WD_E_BADREQ;
				break;
			}
			mp->hdr[mp->hlen++] = p[i++];
			if (mp->hlen == 2 && memcmp(mp->hdr, "\r\n", 2) == 0) {
				rc = WD_E_BADREQ;	/* no headers */
				break;
			}
			if (mp->hlen >= 4 && memcmp(mp->hdr + mp->hlen - 4,
			    "\r\n\r\n", 4) == 0) {
				rc = part_headers(mp);
				mp->state = MP_BODY;
			}
			break;
		default:			/* epilogue: ignored */
			i = len;
			break;
		}
	}
	mp->err = rc;
	return rc;
}

enum wd_err
wd_mp_finish(struct wd_mp *mp)
{
	if (mp->err != WD_OK)
		return mp->err;
	if (mp->state != MP_DONE || !mp->have_file || !mp->file_done)
		return WD_E_BADREQ;
	return WD_OK;
}
