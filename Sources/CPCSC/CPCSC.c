// See include/CPCSC.h. Each wrapper below has exactly the prototype winscard.h declares, so the
// compiler checks them against the header; calling one before gw_pcsc_load() succeeded is a
// programming error and aborts with a message instead of jumping to address 0.
#include "CPCSC.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GW_PCSC_FUNCTIONS(X) \
    X(LONG, SCardEstablishContext, (DWORD dwScope, LPCVOID pvReserved1, LPCVOID pvReserved2, LPSCARDCONTEXT phContext), \
      (dwScope, pvReserved1, pvReserved2, phContext)) \
    X(LONG, SCardReleaseContext, (SCARDCONTEXT hContext), (hContext)) \
    X(LONG, SCardIsValidContext, (SCARDCONTEXT hContext), (hContext)) \
    X(LONG, SCardListReaders, (SCARDCONTEXT hContext, LPCSTR mszGroups, LPSTR mszReaders, LPDWORD pcchReaders), \
      (hContext, mszGroups, mszReaders, pcchReaders)) \
    X(LONG, SCardGetStatusChange, (SCARDCONTEXT hContext, DWORD dwTimeout, SCARD_READERSTATE *rgReaderStates, DWORD cReaders), \
      (hContext, dwTimeout, rgReaderStates, cReaders)) \
    X(LONG, SCardCancel, (SCARDCONTEXT hContext), (hContext)) \
    X(LONG, SCardConnect, (SCARDCONTEXT hContext, LPCSTR szReader, DWORD dwShareMode, DWORD dwPreferredProtocols, \
      LPSCARDHANDLE phCard, LPDWORD pdwActiveProtocol), \
      (hContext, szReader, dwShareMode, dwPreferredProtocols, phCard, pdwActiveProtocol)) \
    X(LONG, SCardDisconnect, (SCARDHANDLE hCard, DWORD dwDisposition), (hCard, dwDisposition)) \
    X(LONG, SCardTransmit, (SCARDHANDLE hCard, const SCARD_IO_REQUEST *pioSendPci, LPCBYTE pbSendBuffer, \
      DWORD cbSendLength, SCARD_IO_REQUEST *pioRecvPci, LPBYTE pbRecvBuffer, LPDWORD pcbRecvLength), \
      (hCard, pioSendPci, pbSendBuffer, cbSendLength, pioRecvPci, pbRecvBuffer, pcbRecvLength)) \
    X(LONG, SCardControl, (SCARDHANDLE hCard, DWORD dwControlCode, LPCVOID pbSendBuffer, DWORD cbSendLength, \
      LPVOID pbRecvBuffer, DWORD cbRecvLength, LPDWORD lpBytesReturned), \
      (hCard, dwControlCode, pbSendBuffer, cbSendLength, pbRecvBuffer, cbRecvLength, lpBytesReturned)) \
    X(const char *, pcsc_stringify_error, (const LONG pcscError), (pcscError))

static void gw_pcsc_unloaded(const char *name) {
    fprintf(stderr, "gatewayd: %s called before libpcsclite was loaded (gw_pcsc_load)\n", name);
    abort();
}

#define GW_POINTER(ret, name, params, args) static ret(*p_##name) params;
GW_PCSC_FUNCTIONS(GW_POINTER)

#define GW_WRAPPER(ret, name, params, args) \
    ret name params { \
        if (!p_##name) gw_pcsc_unloaded(#name); \
        return p_##name args; \
    }
GW_PCSC_FUNCTIONS(GW_WRAPPER)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void) {
    void *lib = dlopen("libpcsclite.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(load_error, sizeof load_error, "%s", dlerror());
        return;
    }
#define GW_RESOLVE(ret, name, params, args)                                                \
    if (!(*(void **)&p_##name = dlsym(lib, #name))) {                                      \
        snprintf(load_error, sizeof load_error, "libpcsclite.so.1 has no %s", #name);      \
        return;                                                                            \
    }
    GW_PCSC_FUNCTIONS(GW_RESOLVE)
}

int gw_pcsc_load(char *why, size_t why_len) {
    pthread_once(&once, load);
    if (load_error[0] == 0) return 0;
    if (why && why_len) snprintf(why, why_len, "%s", load_error);
    return -1;
}

SCARD_IO_REQUEST gw_pcsc_pci(DWORD protocol) {
    SCARD_IO_REQUEST pci = {protocol, sizeof(SCARD_IO_REQUEST)};
    return pci;
}
