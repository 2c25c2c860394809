// libusb-1.0, loaded on first use: gatewayd links no libusb, so a terminal without a USB NFC
// reader (backend = "usb") or a probe of the USB bus never maps it. The functions libusb.h
// declares that gatewayd uses are defined in CUSB.c and call through to libusb-1.0.so.0 once
// gw_usb_load() has succeeded.
#pragma once
#include <stddef.h>
#include <libusb-1.0/libusb.h>

/// Loads libusb-1.0.so.0 and resolves every function used (once; later calls return the first
/// result). Returns 0, or -1 with the reason in `why` (dlerror's words).
int gw_usb_load(char *why, size_t why_len);

/// libusb_set_option for the options that take an int (LIBUSB_OPTION_LOG_LEVEL) or nothing
/// (LIBUSB_OPTION_NO_DEVICE_DISCOVERY, LIBUSB_OPTION_USE_USBDK; `value` is then ignored):
/// Swift cannot call libusb's variadic original.
int gw_usb_set_option(libusb_context *ctx, enum libusb_option option, int value);
