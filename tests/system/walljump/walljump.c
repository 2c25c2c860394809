/* LD_PRELOAD shim for the wall-clock-jump fault test: shifts CLOCK_REALTIME (and
 * gettimeofday, time) by the number of seconds in the file $WALLJUMP_FILE, read on every call,
 * and leaves every other clock and every timer alone. (libfaketime also rewrites absolute
 * timerfd deadlines on CLOCK_BOOTTIME, which stalls a correct program's monotonic timers, and
 * hides argv from the Swift runtime; this shim does only what the test means.) */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static long long offset_seconds(void) {
    const char *path = getenv("WALLJUMP_FILE");
    if (!path) return 0;
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    long long s = 0;
    if (fscanf(f, "%lld", &s) != 1) s = 0;
    fclose(f);
    return s;
}

int clock_gettime(clockid_t id, struct timespec *ts) {
    static int (*real)(clockid_t, struct timespec *);
    if (!real) real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
    int r = real(id, ts);
    if (r == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE)) ts->tv_sec += offset_seconds();
    return r;
}

int gettimeofday(struct timeval *tv, void *tz) {
    static int (*real)(struct timeval *, void *);
    if (!real) real = (int (*)(struct timeval *, void *))dlsym(RTLD_NEXT, "gettimeofday");
    int r = real(tv, tz);
    if (r == 0 && tv) tv->tv_sec += offset_seconds();
    return r;
}

time_t time(time_t *t) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (t) *t = ts.tv_sec;
    return ts.tv_sec;
}
