// See include/CUSB.h. Each wrapper below has exactly the prototype libusb.h declares, so the
// compiler checks them against the header; calling one before gw_usb_load() succeeded is a
// programming error and aborts with a message instead of jumping to address 0.
#include "CUSB.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GW_USB_FUNCTIONS(X) \
    X(int, libusb_init, (libusb_context **ctx), (ctx)) \
    X(void, libusb_exit, (libusb_context *ctx), (ctx)) \
    X(const char *, libusb_error_name, (int errcode), (errcode)) \
    X(const char *, libusb_strerror, (int errcode), (errcode)) \
    X(ssize_t, libusb_get_device_list, (libusb_context *ctx, libusb_device ***list), (ctx, list)) \
    X(void, libusb_free_device_list, (libusb_device **list, int unref_devices), (list, unref_devices)) \
    X(int, libusb_get_device_descriptor, (libusb_device *dev, struct libusb_device_descriptor *desc), (dev, desc)) \
    X(int, libusb_get_active_config_descriptor, (libusb_device *dev, struct libusb_config_descriptor **config), \
      (dev, config)) \
    X(void, libusb_free_config_descriptor, (struct libusb_config_descriptor *config), (config)) \
    X(uint8_t, libusb_get_bus_number, (libusb_device *dev), (dev)) \
    X(uint8_t, libusb_get_device_address, (libusb_device *dev), (dev)) \
    X(int, libusb_get_port_numbers, (libusb_device *dev, uint8_t *port_numbers, int port_numbers_len), \
      (dev, port_numbers, port_numbers_len)) \
    X(int, libusb_wrap_sys_device, (libusb_context *ctx, intptr_t sys_dev, libusb_device_handle **dev_handle), \
      (ctx, sys_dev, dev_handle)) \
    X(int, libusb_open, (libusb_device *dev, libusb_device_handle **dev_handle), (dev, dev_handle)) \
    X(void, libusb_close, (libusb_device_handle *dev_handle), (dev_handle)) \
    X(libusb_device *, libusb_get_device, (libusb_device_handle *dev_handle), (dev_handle)) \
    X(int, libusb_set_auto_detach_kernel_driver, (libusb_device_handle *dev_handle, int enable), (dev_handle, enable)) \
    X(int, libusb_kernel_driver_active, (libusb_device_handle *dev_handle, int interface_number), \
      (dev_handle, interface_number)) \
    X(int, libusb_claim_interface, (libusb_device_handle *dev_handle, int interface_number), \
      (dev_handle, interface_number)) \
    X(int, libusb_release_interface, (libusb_device_handle *dev_handle, int interface_number), \
      (dev_handle, interface_number)) \
    X(int, libusb_bulk_transfer, (libusb_device_handle *dev_handle, unsigned char endpoint, unsigned char *data, \
      int length, int *actual_length, unsigned int timeout), \
      (dev_handle, endpoint, data, length, actual_length, timeout)) \
    X(int, libusb_clear_halt, (libusb_device_handle *dev_handle, unsigned char endpoint), (dev_handle, endpoint)) \
    X(int, libusb_get_string_descriptor_ascii, (libusb_device_handle *dev_handle, uint8_t desc_index, \
      unsigned char *data, int length), (dev_handle, desc_index, data, length))

static void gw_usb_unloaded(const char *name) {
    fprintf(stderr, "gatewayd: %s called before libusb-1.0 was loaded (gw_usb_load)\n", name);
    abort();
}

#define GW_POINTER(ret, name, params, args) static ret(*p_##name) params;
GW_USB_FUNCTIONS(GW_POINTER)
static int (*p_libusb_set_option)(libusb_context *ctx, enum libusb_option option, ...);

#define GW_WRAPPER(ret, name, params, args) \
    ret name params { \
        if (!p_##name) gw_usb_unloaded(#name); \
        return p_##name args; \
    }
GW_USB_FUNCTIONS(GW_WRAPPER)

// The variadic original, for C callers: only LIBUSB_OPTION_LOG_LEVEL takes an argument (an int).
int libusb_set_option(libusb_context *ctx, enum libusb_option option, ...) {
    int value = 0;
    if (option == LIBUSB_OPTION_LOG_LEVEL) {
        va_list ap;
        va_start(ap, option);
        value = va_arg(ap, int);
        va_end(ap);
    }
    return gw_usb_set_option(ctx, option, value);
}

int gw_usb_set_option(libusb_context *ctx, enum libusb_option option, int value) {
    if (!p_libusb_set_option) gw_usb_unloaded("libusb_set_option");
    if (option == LIBUSB_OPTION_LOG_LEVEL) return p_libusb_set_option(ctx, option, value);
    return p_libusb_set_option(ctx, option);
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void) {
    void *lib = dlopen("libusb-1.0.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(load_error, sizeof load_error, "%s", dlerror());
        return;
    }
#define GW_RESOLVE(ret, name, params, args)                                                \
    if (!(*(void **)&p_##name = dlsym(lib, #name))) {                                      \
        snprintf(load_error, sizeof load_error, "libusb-1.0.so.0 has no %s", #name);       \
        return;                                                                            \
    }
    GW_USB_FUNCTIONS(GW_RESOLVE)
    if (!(*(void **)&p_libusb_set_option = dlsym(lib, "libusb_set_option"))) {
        snprintf(load_error, sizeof load_error, "libusb-1.0.so.0 has no libusb_set_option");
        return;
    }
}

int gw_usb_load(char *why, size_t why_len) {
    pthread_once(&once, load);
    if (load_error[0] == 0) return 0;
    if (why && why_len) snprintf(why, why_len, "%s", load_error);
    return -1;
}
