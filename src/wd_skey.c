/*
 * wd_skey.c: storage key decoding and validation. Trust boundary: raw is
 * the client's request path. A key that passes is safe to use as a SQL
 * parameter, in a JSON string and as rules input; it is never used as a
 * file name (the fs backend names files by random blob ids), so the
 * segment rules exist to keep keys canonical, not to stop traversal
 * alone.
 */
#include <string.h>

#include "wd_skey.h"
#include "wd_util.h"

/*
 * Invisible or reordering code points refused like control characters
 * (issue #11): the Unicode format characters (general category Cf, as
 * of Unicode 15: bidirectional overrides and isolates such as U+202E
 * make "evil\u202Etxt.exe" display as "evilexe.txt", zero-width ones
 * make two keys look alike), the line and paragraph separators, and
 * the rest of Default_Ignorable_Code_Point (DerivedCoreProperties.txt:
 * fillers, the combining grapheme joiner), which renderers draw as
 * nothing as well. Variation selectors stay allowed: phones put U+FE0F
 * after many emoji ("\u2764\uFE0F.png"), and CJK and Mongolian text
 * uses them; they change a glyph's form, never hide a character.
 */
static const struct {
	unsigned long	 lo, hi;
} invisible[] = {
	{ 0x00ad, 0x00ad },	/* soft hyphen */
	{ 0x034f, 0x034f },	/* combining grapheme joiner */
	{ 0x0600, 0x0605 },	/* Arabic number signs */
	{ 0x061c, 0x061c },	/* Arabic letter mark (bidi) */
	{ 0x06dd, 0x06dd },
	{ 0x070f, 0x070f },
	{ 0x0890, 0x0891 },
	{ 0x08e2, 0x08e2 },
	{ 0x115f, 0x1160 },	/* Hangul choseong/jungseong fillers */
	{ 0x17b4, 0x17b5 },	/* Khmer inherent vowels */
	{ 0x180e, 0x180e },	/* Mongolian vowel separator */
	{ 0x200b, 0x200f },	/* zero width space .. RLM */
	{ 0x2028, 0x202e },	/* separators, LRE RLE PDF LRO RLO */
	{ 0x2060, 0x206f },	/* word joiner, invisible operators,
				   isolates LRI RLI FSI PDI, deprecated */
	{ 0x3164, 0x3164 },	/* Hangul filler */
	{ 0xfeff, 0xfeff },	/* zero width no-break space, BOM */
	{ 0xffa0, 0xffa0 },	/* halfwidth Hangul filler */
	{ 0xfff0, 0xfffb },	/* (reserved), interlinear annotation */
	{ 0x110bd, 0x110bd },
	{ 0x110cd, 0x110cd },
	{ 0x13430, 0x1343f },	/* Egyptian hieroglyph format controls */
	{ 0x1bca0, 0x1bca3 },	/* shorthand format controls */
	{ 0x1d173, 0x1d17a },	/* musical symbol format controls */
	{ 0xe0000, 0xe00ff },	/* tags and their reserved block */
	{ 0xe01f0, 0xe0fff },	/* reserved (default ignorable) */
};

static int
is_invisible(unsigned long cp)
{
	size_t	 i;

	for (i = 0; i < sizeof(invisible) / sizeof(invisible[0]); i++)
		if (cp >= invisible[i].lo && cp <= invisible[i].hi)
			return 1;
	return 0;
}

enum wd_err
wd_skey_valid(const char *key, size_t len, int *is_dir)
{
	const unsigned char	*s = (const unsigned char *)key;
	size_t			 i, seg = 0, n;
	unsigned long		 cp;

	*is_dir = 0;
	if (len == 0 || len > WD_MAX_SKEY || s[0] == '/')
		return WD_E_BADKEY;
	for (i = 0; i < len; i += n) {
		n = wd_utf8_len(s + i, len - i, &cp);
		if (n == 0)
			return WD_E_BADKEY;
		/* C0, DEL, C1: invisible in logs and listings */
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
		    is_invisible(cp))
			return WD_E_BADKEY;
		if (cp != '/')
			continue;
		/* segment [seg, i): not empty, not "." or ".." */
		if (i == seg ||
		    (i - seg == 1 && s[seg] == '.') ||
		    (i - seg == 2 && s[seg] == '.' && s[seg + 1] == '.'))
			return WD_E_BADKEY;
		seg = i + 1;
	}
	if (seg == len) {		/* trailing '/': a directory */
		*is_dir = 1;
		return WD_OK;
	}
	if ((len - seg == 1 && s[seg] == '.') ||
	    (len - seg == 2 && s[seg] == '.' && s[seg + 1] == '.'))
		return WD_E_BADKEY;
	return WD_OK;
}

enum wd_err
wd_skey_decode(const char *raw, size_t len, char *out, size_t outsz,
    size_t *outlen, int *is_dir)
{
	size_t	 o = 0;

	*outlen = 0;
	*is_dir = 0;
	if (outsz < WD_MAX_SKEY + 1 || len > WD_MAX_SKEY_RAW)
		return WD_E_BADKEY;
	/* a path: '+' is itself, not a space */
	if (wd_pct_decode(raw, len, 0, out, WD_MAX_SKEY, &o) != WD_OK)
		return WD_E_BADKEY;
	out[o] = '\0';
	if (wd_skey_valid(out, o, is_dir) != WD_OK)
		return WD_E_BADKEY;
	*outlen = o;
	return WD_OK;
}
