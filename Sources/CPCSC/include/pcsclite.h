// winscard.h includes its siblings as <pcsclite.h> and <wintypes.h>: these find them in
// /usr/include/PCSC without an -I flag for every module that imports CPCSC.
#pragma once
#include <PCSC/pcsclite.h>
