/* core: errors, logging, small string and file helpers shared by every module.
 *
 * Error convention: a function that can fail takes a `minca_err *err` (may be NULL) as its
 * last argument and returns 0 on success or -1 on failure after writing the reason once with
 * minca_err_set(). Callers add context with minca_err_prefix() rather than re-reporting. */
#ifndef MINCA_CORE_H
#define MINCA_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MINCA_VERSION "0.1.0"

typedef struct minca_err {
    char msg[1024];
} minca_err;

/* Formats the reason into err (if non-NULL) and returns -1, so `return minca_err_set(...)`. */
int minca_err_set(minca_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prepends "prefix: " to the existing message; returns -1. */
int minca_err_prefix(minca_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void minca_err_clear(minca_err *err);

/* Logging. Before log_open() messages go to stderr. Thread-safe. */
typedef enum { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG } log_level;
int log_open(const char *path, minca_err *err);   /* appends to path; creates parent dirs */
void log_close(void);
void log_set_level(log_level level);
void log_set_stderr(bool also_stderr);            /* mirror messages to stderr */
void log_msg(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Log line format: text (default) or JSON, one object per line with time (UTC, ISO 8601),
 * level, pid, component (the message's leading "word:", else "minca"), msg, and the ids the
 * calling thread works on (job_id, case_id, message_id). In JSON, e-mail addresses and URL
 * passwords in the message are masked. */
typedef enum { LOG_FORMAT_TEXT = 0, LOG_FORMAT_JSON } log_format;
void log_set_format(log_format format);
/* Ids the calling thread is working on, added to its JSON lines; 0 clears one. */
void log_set_ids(long long job_id, long long case_id, long long message_id);
/* The errno of the first write to the log file that failed (a full disk: ENOSPC), 0 while
 * every write went through. After a failure the messages go to stderr, the first of them
 * saying why; a command that must not go on with a disk it cannot write checks this. */
int log_write_error(void);
/* The log file's path ("" before log_open). */
const char *log_path(void);
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* Files and paths. Returned strings are GLib-allocated; the caller g_free()s them. */
int core_mkdir_p(const char *path, unsigned mode, minca_err *err);
/* Reads a whole file (binary-safe, NUL-terminated for convenience). Refuses files above max_bytes. */
int core_read_file(const char *path, size_t max_bytes, char **data, size_t *len, minca_err *err);
int core_write_file(const char *path, const void *data, size_t len, minca_err *err);
char *core_path_join(const char *a, const char *b);
bool core_file_exists(const char *path);
bool core_is_dir(const char *path);

/* Strings. A new formatted string the caller g_free()s (g_strdup_printf: running out of memory
 * ends the process). */
char *core_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* snprintf into buf[cap] that says whether everything fitted: true when it did, false when the
 * text was cut (buf still holds the NUL-terminated beginning). For messages, where cutting is
 * acceptable, the result may be ignored; for paths and keys it must be checked. */
bool core_fmt(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
char *core_trim(char *s);                          /* in place; returns s advanced past spaces */
bool core_str_empty(const char *s);
/* SHA-256 of data as 64 lowercase hex chars into out[65]. */
void core_sha256_hex(const void *data, size_t len, char out[65]);

/* True when the filesystem holding path has no block left for an ordinary write (a full disk);
 * false when it has, or when it cannot be asked. */
bool core_disk_full(const char *path);
/* The symbolic name of an errno value ("ENOSPC"); "E?" when unknown. Static text. */
const char *core_errno_name(int e);

/* Secrets. The process remembers the secret values it holds (core_secret_add: a password, a
 * client secret; core_secret_add_url: the password of every URL in the text and of password=)
 * and core_mask_secrets() writes "****" for them, for scheme://user:PASSWORD@ in any URL and
 * for password=VALUE. Error messages (minca_err_set/prefix) and log lines go through it, so a
 * library's message that echoes a URL never shows its password. Thread-safe. */
void core_secret_add(const char *value);
void core_secret_add_url(const char *url);
/* A masked copy of text (NULL reads as ""), g_free'd or free'd by the caller. */
char *core_mask_secrets(const char *text);
/* The same in place in buf[cap] (the result is cut to fit). */
void core_mask_secrets_buf(char *buf, size_t cap);
/* Forgets (and wipes) every remembered secret (tests). */
void core_forget_secrets(void);
/* Core dumps off for this process (RLIMIT_CORE 0, not dumpable): a dump would hold every
 * secret. 0, or -1 when the kernel refused one of them. */
int core_no_core_dumps(void);

/* Replaces stdout and stderr by streams that make control characters visible (newline, tab
 * and carriage return pass): a CLI command then cannot send an escape sequence from text it
 * prints to the terminal. Not for the TUI, which draws with curses. */
void core_guard_output(void);

/* Time. */
double core_now_seconds(void);                     /* monotonic clock, seconds */
char *core_login_name(void);
/* The name of the account the process runs as (effective uid; the environment is not
 * consulted), g_malloc'd. */
char *core_os_login(void);                       /* the user's login name, g_malloc'd */

#endif
