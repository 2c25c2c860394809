// See include/CGPS.h. Each wrapper below has exactly the prototype gps.h declares, so the
// compiler checks them against the header; calling one before gw_gps_load() succeeded is a
// programming error and aborts with a message instead of jumping to address 0.
#include "CGPS.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GW_GPS_FUNCTIONS(X) \
    X(int, gps_open, (const char *host, const char *port, struct gps_data_t *data), (host, port, data)) \
    X(int, gps_close, (struct gps_data_t *data), (data)) \
    X(int, gps_read, (struct gps_data_t *data, char *message, int message_len), (data, message, message_len)) \
    X(bool, gps_waiting, (const struct gps_data_t *data, int timeout), (data, timeout)) \
    X(int, gps_stream, (struct gps_data_t *data, unsigned int flags, void *d), (data, flags, d)) \
    X(const char *, gps_errstr, (const int err), (err))

static void gw_gps_unloaded(const char *name) {
    fprintf(stderr, "gatewayd: %s called before libgps was loaded (gw_gps_load)\n", name);
    abort();
}

#define GW_POINTER(ret, name, params, args) static ret(*p_##name) params;
GW_GPS_FUNCTIONS(GW_POINTER)

#define GW_WRAPPER(ret, name, params, args) \
    ret name params { \
        if (!p_##name) gw_gps_unloaded(#name); \
        return p_##name args; \
    }
GW_GPS_FUNCTIONS(GW_WRAPPER)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void) {
    void *lib = dlopen("libgps.so.28", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(load_error, sizeof load_error, "%s", dlerror());
        return;
    }
#define GW_RESOLVE(ret, name, params, args)                                            \
    if (!(*(void **)&p_##name = dlsym(lib, #name))) {                                  \
        snprintf(load_error, sizeof load_error, "libgps.so.28 has no %s", #name);      \
        return;                                                                        \
    }
    GW_GPS_FUNCTIONS(GW_RESOLVE)
}

int gw_gps_load(char *why, size_t why_len) {
    pthread_once(&once, load);
    if (load_error[0] == 0) return 0;
    if (why && why_len) snprintf(why, why_len, "%s", load_error);
    return -1;
}
