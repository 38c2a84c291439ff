#include "minca/core.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_file;
static log_level log_threshold = LOG_INFO;
static bool log_mirror_stderr;

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

int log_open(const char *path, minca_err *err)
{
    char *dir = strdup(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash && slash != dir) {
        *slash = '\0';
        if (core_mkdir_p(dir, 0700, err) < 0) {
            free(dir);
            return -1;
        }
    }
    free(dir);
    FILE *f = fopen(path, "a");
    if (!f)
        return minca_err_set(err, "cannot open log file %s: %s", path, strerror(errno));
    setvbuf(f, NULL, _IOLBF, 0);
    pthread_mutex_lock(&log_lock);
    if (log_file)
        fclose(log_file);
    log_file = f;
    pthread_mutex_unlock(&log_lock);
    return 0;
}

void log_close(void)
{
    pthread_mutex_lock(&log_lock);
    if (log_file)
        fclose(log_file);
    log_file = NULL;
    pthread_mutex_unlock(&log_lock);
}

void log_set_level(log_level level) { log_threshold = level; }
void log_set_stderr(bool also_stderr) { log_mirror_stderr = also_stderr; }

void log_msg(log_level level, const char *fmt, ...)
{
    if (level > log_threshold)
        return;
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);

    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);

    pthread_mutex_lock(&log_lock);
    if (log_file)
        fprintf(log_file, "%s [%d] %-5s %s\n", stamp, (int)getpid(), level_names[level], line);
    if (!log_file || log_mirror_stderr)
        fprintf(stderr, "minca: %s\n", line);
    pthread_mutex_unlock(&log_lock);
}
