// PC/SC (pcsc-lite's libpcsclite), loaded on first use: gatewayd links no libpcsclite, so a
// terminal without a PC/SC NFC reader never maps it. The functions winscard.h declares that
// gatewayd uses are defined in CPCSC.c and call through to libpcsclite.so.1 once
// gw_pcsc_load() has succeeded.
#pragma once
#include <stddef.h>
#include <PCSC/winscard.h>

/// Loads libpcsclite.so.1 and resolves every function used (once; later calls return the first
/// result). Returns 0, or -1 with the reason in `why` (dlerror's words).
int gw_pcsc_load(char *why, size_t why_len);

/// The I/O header SCardTransmit takes for `protocol` (T=0 or T=1); pcsc-lite's own
/// SCARD_PCI_T0/T1 are data symbols of the library, which a dlopen'd program cannot take the
/// address of at compile time.
SCARD_IO_REQUEST gw_pcsc_pci(DWORD protocol);
