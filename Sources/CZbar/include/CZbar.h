// zbar's API, loaded on first use: gatewayd links no zbar, so a terminal without a camera
// reader never maps libzbar and its dependencies (X11, dbus, v4l, jpeg …: ~1.9 MiB resident).
// The functions zbar.h declares that gatewayd uses are defined in CZbar.c and call through to
// libzbar.so.0 once gw_zbar_load() has succeeded.
#pragma once
#include <stddef.h>
#include <zbar.h>

/// Loads libzbar.so.0 and resolves every function used (once; later calls return the first
/// result). Returns 0, or -1 with the reason in `why` (dlerror's words).
int gw_zbar_load(char *why, size_t why_len);
