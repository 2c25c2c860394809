// See pcsclite.h in this directory.
#pragma once
#include <PCSC/wintypes.h>
