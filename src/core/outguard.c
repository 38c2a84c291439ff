/* The CLI's stdout and stderr through a filter that makes control characters visible: every
 * command prints text from outside (subjects, client names, cells, file names), and this way
 * none of it reaches a terminal as an escape sequence, whichever printf prints it. Newlines,
 * tabs and carriage returns (progress lines) pass; everything else goes through
 * text_visible_append(). */
#include "minca/core.h"
#include "minca/core_text.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct guard {
    int fd;
    char pending[8];   /* the start of a UTF-8 character cut at the end of the last write */
    size_t n_pending;
} guard;

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static ssize_t guard_write(void *cookie, const char *buf, size_t size)
{
    guard *g = cookie;
    GString *in = g_string_new_len(g->pending, (gssize)g->n_pending);
    g_string_append_len(in, buf, (gssize)size);
    GString *out = g_string_sized_new(in->len + 16);
    size_t used = text_visible_append(out, in->str, in->len, "\n\t\r", false);
    g->n_pending = in->len - used;
    if (g->n_pending > sizeof g->pending) {   /* cannot happen: a character is at most 4 bytes */
        text_visible_append(out, in->str + used, in->len - used, "\n\t\r", true);
        g->n_pending = 0;
    }
    memcpy(g->pending, in->str + used, g->n_pending);
    int rc = write_all(g->fd, out->str, out->len);
    g_string_free(in, TRUE);
    g_string_free(out, TRUE);
    return rc < 0 ? -1 : (ssize_t)size;
}

static int guard_close(void *cookie)
{
    guard *g = cookie;
    if (g->n_pending) {
        GString *out = g_string_new(NULL);
        text_visible_append(out, g->pending, g->n_pending, "\n\t\r", true);
        write_all(g->fd, out->str, out->len);
        g_string_free(out, TRUE);
    }
    g->n_pending = 0;
    return 0;
}

/* The two guards live as long as the process: exit() flushes the streams without closing
 * them, so nothing of theirs is allocated. */
static guard guards[2];

static FILE *guarded(guard *g, int fd, int mode)
{
    *g = (guard){.fd = fd};
    cookie_io_functions_t io = {.write = guard_write, .close = guard_close};
    FILE *f = fopencookie(g, "w", io);
    if (!f)
        return NULL;
    setvbuf(f, NULL, mode, BUFSIZ);
    return f;
}

void core_guard_output(void)
{
    fflush(stdout);
    fflush(stderr);
    FILE *out = guarded(&guards[0], STDOUT_FILENO, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF);
    FILE *err = guarded(&guards[1], STDERR_FILENO, _IOLBF);
    if (out)
        stdout = out;
    if (err)
        stderr = err;
}
