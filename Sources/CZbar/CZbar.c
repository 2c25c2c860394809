// See include/CZbar.h. Each wrapper below has exactly the prototype zbar.h declares, so the
// compiler checks them against the header; calling one before gw_zbar_load() succeeded is a
// programming error and aborts with a message instead of jumping to address 0.
#include "CZbar.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GW_ZBAR_FUNCTIONS(X) \
    X(const char *, _zbar_error_string, (const void *object, int verbosity), (object, verbosity)) \
    X(zbar_image_t *, zbar_image_convert, (const zbar_image_t *image, unsigned long format), (image, format)) \
    X(zbar_image_t *, zbar_image_create, (void), ()) \
    X(const zbar_symbol_t *, zbar_image_first_symbol, (const zbar_image_t *image), (image)) \
    X(zbar_image_scanner_t *, zbar_image_scanner_create, (void), ()) \
    X(int, zbar_image_scanner_set_config, (zbar_image_scanner_t *scanner, zbar_symbol_type_t symbology, zbar_config_t config, int value), \
      (scanner, symbology, config, value)) \
    X(int, zbar_scan_image, (zbar_image_scanner_t *scanner, zbar_image_t *image), (scanner, image)) \
    X(const char *, zbar_symbol_get_data, (const zbar_symbol_t *symbol), (symbol)) \
    X(unsigned int, zbar_symbol_get_data_length, (const zbar_symbol_t *symbol), (symbol)) \
    X(unsigned int, zbar_symbol_get_modifiers, (const zbar_symbol_t *symbol), (symbol)) \
    X(int, zbar_symbol_get_quality, (const zbar_symbol_t *symbol), (symbol)) \
    X(zbar_symbol_type_t, zbar_symbol_get_type, (const zbar_symbol_t *symbol), (symbol)) \
    X(const zbar_symbol_t *, zbar_symbol_next, (const zbar_symbol_t *symbol), (symbol)) \
    X(const char *, zbar_get_symbol_name, (zbar_symbol_type_t sym), (sym)) \
    X(zbar_video_t *, zbar_video_create, (void), ()) \
    X(int, zbar_video_enable, (zbar_video_t *video, int enable), (video, enable)) \
    X(int, zbar_video_get_fd, (const zbar_video_t *video), (video)) \
    X(int, zbar_video_get_height, (const zbar_video_t *video), (video)) \
    X(int, zbar_video_get_width, (const zbar_video_t *video), (video)) \
    X(int, zbar_video_init, (zbar_video_t *video, unsigned long format), (video, format)) \
    X(zbar_image_t *, zbar_video_next_image, (zbar_video_t *video), (video)) \
    X(int, zbar_video_open, (zbar_video_t *video, const char *device), (video, device)) \
    X(int, zbar_video_request_size, (zbar_video_t *video, unsigned width, unsigned height), (video, width, height))

#define GW_ZBAR_VOID_FUNCTIONS(X) \
    X(zbar_image_destroy, (zbar_image_t *image), (image)) \
    X(zbar_image_scanner_destroy, (zbar_image_scanner_t *scanner), (scanner)) \
    X(zbar_image_set_data, (zbar_image_t *image, const void *data, unsigned long data_byte_length, zbar_image_cleanup_handler_t *cleanup_hndlr), \
      (image, data, data_byte_length, cleanup_hndlr)) \
    X(zbar_image_set_format, (zbar_image_t *image, unsigned long format), (image, format)) \
    X(zbar_image_set_size, (zbar_image_t *image, unsigned width, unsigned height), (image, width, height)) \
    X(zbar_video_destroy, (zbar_video_t *video), (video))

static void gw_zbar_unloaded(const char *name) {
    fprintf(stderr, "gatewayd: %s called before libzbar was loaded (gw_zbar_load)\n", name);
    abort();
}

#define GW_POINTER(ret, name, params, args) static ret(*p_##name) params;
#define GW_VOID_POINTER(name, params, args) static void(*p_##name) params;
GW_ZBAR_FUNCTIONS(GW_POINTER)
GW_ZBAR_VOID_FUNCTIONS(GW_VOID_POINTER)

#define GW_WRAPPER(ret, name, params, args) \
    ret name params { \
        if (!p_##name) gw_zbar_unloaded(#name); \
        return p_##name args; \
    }
#define GW_VOID_WRAPPER(name, params, args) \
    void name params { \
        if (!p_##name) gw_zbar_unloaded(#name); \
        p_##name args; \
    }
GW_ZBAR_FUNCTIONS(GW_WRAPPER)
GW_ZBAR_VOID_FUNCTIONS(GW_VOID_WRAPPER)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void) {
    void *lib = dlopen("libzbar.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(load_error, sizeof load_error, "%s", dlerror());
        return;
    }
#define GW_RESOLVE(name)                                                                 \
    if (!(*(void **)&p_##name = dlsym(lib, #name))) {                                    \
        snprintf(load_error, sizeof load_error, "libzbar.so.0 has no %s", #name);        \
        return;                                                                          \
    }
#define GW_RESOLVE_FN(ret, name, params, args) GW_RESOLVE(name)
#define GW_RESOLVE_VOID(name, params, args) GW_RESOLVE(name)
    GW_ZBAR_FUNCTIONS(GW_RESOLVE_FN)
    GW_ZBAR_VOID_FUNCTIONS(GW_RESOLVE_VOID)
}

int gw_zbar_load(char *why, size_t why_len) {
    pthread_once(&once, load);
    if (load_error[0] == 0) return 0;
    if (why && why_len) snprintf(why, why_len, "%s", load_error);
    return -1;
}
