/*
 * wd_multipart.h: a streaming multipart/form-data parser (RFC 7578,
 * RFC 2046 §5.1) for storage uploads. The body is fed in chunks of any
 * size; the file part's bytes go straight to a callback, so memory is
 * constant in the file size: the only buffer is one part's header block,
 * capped at WD_MAX_MP_HEADER. Exactly one part named "file" is accepted;
 * other fields are skipped (at most WD_MAX_MP_PARTS parts in all).
 */
#ifndef WD_MULTIPART_H
#define WD_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#include "wd_err.h"
#include "wd_limits.h"

/* Receives the file's bytes in order; a non-WD_OK return stops parsing
 * and is returned by wd_mp_feed (e.g. WD_E_TOOBIG past the size cap). */
typedef enum wd_err (*wd_mp_data_fn)(void *arg, const char *p, size_t len);

struct wd_mp {
	char		 delim[4 + WD_MAX_MP_BOUNDARY];	/* CRLF "--" b */
	size_t		 dlen;
	size_t		 k;		/* delimiter bytes matched so far */
	int		 state;
	int		 after;		/* sub-state after a delimiter */
	size_t		 pad;		/* transport padding seen */
	char		 hdr[WD_MAX_MP_HEADER];
	size_t		 hlen;
	size_t		 nparts;
	int		 in_file;	/* the current part is the file */
	int		 have_file;	/* a file part was opened */
	int		 file_done;	/* ... and its closing delimiter seen */
	char		 ctype[WD_MAX_CTYPE + 1];	/* the file's type */
	wd_mp_data_fn	 data;
	void		*arg;
	enum wd_err	 err;		/* sticky */
};

/*
 * Finds the boundary in a Content-Type value (ct, len bytes). WD_OK with
 * the boundary in b (bsz >= WD_MAX_MP_BOUNDARY + 1, NUL-terminated) and
 * *blen when ct is multipart/form-data with a valid boundary (1..70
 * bchars, RFC 2046 §5.1.1, quoted or not); WD_E_NOTFOUND when ct is not
 * multipart/form-data at all (a raw upload); WD_E_BADREQ when it is but
 * the boundary is missing, repeated or invalid.
 */
enum wd_err	wd_mp_boundary(const char *ct, size_t len, char *b,
		    size_t bsz, size_t *blen);

/* Initialises mp (caller-owned, no cleanup needed) for boundary b. */
void		wd_mp_init(struct wd_mp *mp, const char *b, size_t blen,
		    wd_mp_data_fn data, void *arg);

/*
 * Feeds len bytes. WD_OK, or the first error (sticky): WD_E_BADREQ for a
 * malformed body (a part header block over WD_MAX_MP_HEADER, a part
 * without Content-Disposition: form-data, a second "file" part, more
 * than WD_MAX_MP_PARTS parts, an invalid Content-Type), or what the data
 * callback returned.
 */
enum wd_err	wd_mp_feed(struct wd_mp *mp, const char *p, size_t len);

/*
 * At the end of the body: WD_OK when the closing delimiter was seen and
 * exactly one file part was complete (its type then in mp->ctype,
 * "application/octet-stream" when the part had none); WD_E_BADREQ when
 * the body was truncated or had no file.
 */
enum wd_err	wd_mp_finish(struct wd_mp *mp);

/*
 * The fewest body bytes around the file that wd_mp accepts for a
 * boundary of blen bytes: "--" b CRLF, the shortest header block naming
 * the file part ("Content-Disposition:form-data;name=file" CRLF CRLF),
 * then CRLF "--" b "--": 2 * blen + 53. A body of n bytes therefore
 * carries at most n - WD_MP_MIN_FRAMING(blen) file bytes, which is what
 * the storage quota reserves for it (issue #11).
 */
#define WD_MP_MIN_FRAMING(blen)	(2 * (uint64_t)(blen) + 53)

/*
 * 1 if (p, len) is acceptable as a stored Content-Type: 1..WD_MAX_CTYPE
 * bytes of printable ASCII, "type/subtype" made of token characters,
 * optionally followed by ";" parameters (so it can never split a
 * response header).
 */
int		wd_mp_ctype_valid(const char *p, size_t len);

#endif
