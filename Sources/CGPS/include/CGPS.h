// libgps (gpsd's client library), loaded on first use: gatewayd links no libgps, so a terminal
// without a [gps] section never maps it. The functions gps.h declares that gatewayd uses are
// defined in CGPS.c and call through to libgps.so.28 once gw_gps_load() has succeeded.
#pragma once
#include <stddef.h>
#include <gps.h>

// gatewayd reads struct gps_data_t's fields directly, so its layout must be the one this header
// describes: API major 11 is libgps.so.28 (gpsd 3.22, Debian 12). Another major moved fields;
// the build stops here rather than reading the wrong bytes at run time.
#if GPSD_API_MAJOR_VERSION != 11
#error "gatewayd is written against libgps API major 11 (gpsd 3.22, libgps.so.28): check the gps_data_t fields it reads (Sources/GatewayLinux/Context/GPSDReport.swift, LibGPS.swift) and the soname in CGPS.c"
#endif

/// Loads libgps.so.28 and resolves every function used (once; later calls return the first
/// result). Returns 0, or -1 with the reason in `why` (dlerror's words).
int gw_gps_load(char *why, size_t why_len);

/// gps.h's GPSD_SHARED_MEMORY, the "host" that makes gps_open attach to gpsd's shared-memory
/// export (a string macro Swift imports, kept here next to the other gps.h names used).
static inline const char *gw_gps_shared_memory(void) { return GPSD_SHARED_MEMORY; }
