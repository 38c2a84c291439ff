/* text: UTF-8 folding for accent- and case-insensitive matching, and display width in
 * terminal columns. One per-character mapping serves every module: a letter folds to its base
 * letter ("á" -> "a", "Ñ" -> "N"), combining marks are dropped, and the case is changed as
 * asked.
 *
 * Ownership: every returned string (and the offsets array) is GLib-allocated; free it with g_free().
 * Functions writing into a caller's buffer never write past its size and always terminate it. */
#ifndef MINCA_CORE_TEXT_H
#define MINCA_CORE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum text_fold_flags {
    TEXT_FOLD_LOWER = 0,           /* lower case (the default) */
    TEXT_FOLD_UPPER = 1u << 0,     /* upper case instead */
    TEXT_FOLD_KEEP_CASE = 1u << 1, /* accents removed, case left as it is */
    TEXT_FOLD_ASCII = 1u << 2,     /* ASCII only: a character without an ASCII base letter becomes
                                    * its stand-in (text_fold_ascii_char) or '?' */
    TEXT_FOLD_WORDS = 1u << 3,     /* letters and digits only: every run of anything else is one
                                    * space, none at either end */
    TEXT_FOLD_TRIM = 1u << 4,      /* ASCII white space removed at both ends */
} text_fold_flags;

/* The base letter of c with its accent removed ('á' -> 'a', 'Ñ' -> 'N'); c itself when it has
 * no accent; 0 for a combining mark, which folding drops. Case is unchanged. */
uint32_t text_unaccent_char(uint32_t c);
/* The ASCII byte c folds to, case unchanged: its base letter when that is ASCII, else a stand-in
 * for white space (' '), dashes ('-') and the ordinal signs 'º', '°' ('o') and 'ª' ('a'); 0 when
 * there is none. */
char text_fold_ascii_char(uint32_t c);

/* Folded copy of utf8 (NULL reads as ""); invalid UTF-8 is repaired first (U+FFFD). */
char *text_fold(const char *utf8, unsigned flags);
/* Lower-case ASCII fold with one output byte per input character, so a match in the copy maps
 * back to the source: (*offsets)[i] is the byte offset in s of the character that gave byte i,
 * and (*offsets)[strlen(result)] is strlen(s). Combining marks give no byte; an invalid byte
 * gives '?'. offsets may be NULL. */
char *text_fold_offsets(const char *s, size_t **offsets);
/* The codifier's fast fold of in[0..len) into out[cap]: upper-case ASCII, ASCII punctuation kept,
 * a NUL byte read as a space, a non-ASCII character its upper-case base letter or ' ', combining
 * marks dropped. Returns the bytes written (always NUL-terminated when cap > 0). */
size_t text_fold_ascii_upper(const char *in, size_t len, char *out, size_t cap);

/* Display width. Invalid bytes and control characters count as one column. */
/* Decodes one character of s (n bytes left) for display; *adv receives the bytes used. An invalid
 * byte yields '?' (one byte), a control character a space. */
uint32_t text_display_char(const char *s, size_t n, size_t *adv);
/* Columns taken by c (wcwidth, else GLib's zero-width / wide tables). */
int text_char_width(uint32_t c);
int text_display_width(const char *utf8);
/* Copies utf8 into out[outsz] fitted to exactly `width` columns: cut with "…" when longer,
 * padded with spaces when shorter (on the left when right_align). Invalid bytes become '?',
 * control characters spaces; when outsz is too small the text is cut short. Returns the bytes
 * written. */
size_t text_fit_width(const char *utf8, int width, bool right_align, char *out, size_t outsz);

/* Control characters made visible, so that text from outside (a mail's subject or body, a
 * client name, a cell, a file name, a notification field) cannot drive a terminal or forge a
 * line: C0 controls, DEL, C1 controls, bytes that are not UTF-8, line separators and
 * bidirectional overrides become escapes ("\\e", "\\n", "\\x07", "\\x9b", "\\u202e"); every
 * other character is kept. text_visible() escapes newlines and tabs too (a field on one line);
 * text_visible_lines() keeps them (a body). Both return a g_malloc'd string; NULL reads as "". */
char *text_visible(const char *s);
char *text_visible_lines(const char *s);
/* The chunked form: appends s[0..len) made visible to out (a GString), keeping the control
 * bytes listed in keep (may be NULL). Returns the bytes consumed: when final is false, a
 * UTF-8 character cut at the end is left for the next call. */
struct _GString;
size_t text_visible_append(struct _GString *out, const char *s, size_t len, const char *keep, bool final);

#endif
