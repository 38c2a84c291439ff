/* A message's identity for duplicate detection: its bytes without the headers added in
 * transit, so the same email delivered again through another mail server is recognised while
 * a different email reusing its Message-ID is not. */
#include "minca/intake.h"

#include <glib.h>
#include <string.h>
#include <strings.h>

/* Trace and filter headers a server on the way adds (RFC 5321 trace fields, delivery notes,
 * spam and virus filters, Exchange / Microsoft 365 transport stamps). */
static bool transit_header(const char *name, size_t n)
{
    static const char *const exact[] = {"Received", "Return-Path", "Delivered-To", "X-Original-To",
                                        "X-Delivered-To", "X-Received", "Received-SPF", "Authentication-Results",
                                        "X-Envelope-From", "X-Envelope-To", "X-Originating-IP"};
    static const char *const prefix[] = {"ARC-", "X-Spam-", "X-Virus-", "X-MS-Exchange-", "X-Forefront-",
                                         "X-Microsoft-", "X-Google-", "X-Gm-", "X-Proofpoint-"};
    for (size_t i = 0; i < G_N_ELEMENTS(exact); i++)
        if (strlen(exact[i]) == n && g_ascii_strncasecmp(name, exact[i], n) == 0)
            return true;
    for (size_t i = 0; i < G_N_ELEMENTS(prefix); i++)
        if (strlen(prefix[i]) <= n && g_ascii_strncasecmp(name, prefix[i], strlen(prefix[i])) == 0)
            return true;
    return false;
}

void intake_content_sha256(const void *data, size_t len, char out[65])
{
    const char *p = data, *end = p + len;
    GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
    bool skipping = false, in_headers = true;
    while (p < end && in_headers) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl + 1 : end;
        size_t line_len = (size_t)(line_end - p);
        bool blank = line_len <= 2 && (line_len == 0 || p[0] == '\n' || (p[0] == '\r' && line_len == 2));
        if (blank) {
            in_headers = false;
            break;
        }
        if (p[0] == ' ' || p[0] == '\t') {
            /* a continuation line belongs to the field above */
        } else {
            const char *colon = memchr(p, ':', line_len);
            skipping = colon && transit_header(p, (size_t)(colon - p));
        }
        if (!skipping)
            g_checksum_update(ck, (const guchar *)p, (gssize)line_len);
        p = line_end;
    }
    if (p < end)
        g_checksum_update(ck, (const guchar *)p, (gssize)(end - p));
    g_strlcpy(out, g_checksum_get_string(ck), 65);
    g_checksum_free(ck);
}
