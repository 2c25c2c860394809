// See include/COpenSSL.h. The OpenSSL functions are called through pointers resolved from
// libcrypto.so.3; their prototypes come from OpenSSL's own headers (typeof), so the compiler
// checks every call.
#include "COpenSSL.h"
#include <dlfcn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/store.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define GW_OSSL_FUNCTIONS(X) \
    X(OSSL_LIB_CTX_new) X(OSSL_LIB_CTX_free) X(OSSL_PROVIDER_load) X(OSSL_PROVIDER_unload) \
    X(OSSL_STORE_open_ex) X(OSSL_STORE_load) X(OSSL_STORE_eof) X(OSSL_STORE_close) \
    X(OSSL_STORE_INFO_get_type) X(OSSL_STORE_INFO_get1_PKEY) X(OSSL_STORE_INFO_free) \
    X(EVP_PKEY_free) X(EVP_PKEY_get_octet_string_param) X(EVP_PKEY_get_utf8_string_param) \
    X(EVP_PKEY_CTX_new_from_pkey) X(EVP_PKEY_CTX_new_from_name) X(EVP_PKEY_CTX_free) \
    X(EVP_PKEY_derive_init) X(EVP_PKEY_derive_set_peer) X(EVP_PKEY_derive) \
    X(EVP_PKEY_fromdata_init) X(EVP_PKEY_fromdata) X(EVP_PKEY_sign_init) X(EVP_PKEY_sign) \
    X(OSSL_PARAM_construct_utf8_string) X(OSSL_PARAM_construct_octet_string) X(OSSL_PARAM_construct_end) \
    X(ERR_get_error) X(ERR_error_string_n) X(ERR_clear_error) X(OpenSSL_version)

#define GW_POINTER(name) static __typeof__(name) *p_##name;
GW_OSSL_FUNCTIONS(GW_POINTER)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void) {
    void *lib = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(load_error, sizeof load_error, "%s", dlerror());
        return;
    }
#define GW_RESOLVE(name)                                                                 \
    if (!(*(void **)&p_##name = dlsym(lib, #name))) {                                    \
        snprintf(load_error, sizeof load_error, "libcrypto.so.3 has no %s", #name);      \
        return;                                                                          \
    }
    GW_OSSL_FUNCTIONS(GW_RESOLVE)
}

int gw_ossl_load(char *why, size_t why_len) {
    pthread_once(&once, load);
    if (load_error[0] == 0) return 0;
    if (why && why_len) snprintf(why, why_len, "%s", load_error);
    return -1;
}

struct gw_ossl_key {
    OSSL_LIB_CTX *libctx;
    OSSL_PROVIDER *tpm2;
    OSSL_PROVIDER *base;
    EVP_PKEY *pkey;
};

/// `what`, then OpenSSL's queued errors (most recent last), into `why`; clears the queue.
static void fail(const char *what, char *why, size_t why_len) {
    size_t used = 0;
    if (why && why_len) used = (size_t)snprintf(why, why_len, "%s", what);
    unsigned long e;
    while ((e = p_ERR_get_error()) != 0) {
        if (!why || used + 3 >= why_len) continue;
        char buf[256];
        p_ERR_error_string_n(e, buf, sizeof buf);
        used += (size_t)snprintf(why + used, why_len - used, "; %s", buf);
    }
}

void gw_ossl_key_free(gw_ossl_key *key) {
    if (!key) return;
    if (key->pkey) p_EVP_PKEY_free(key->pkey);
    if (key->tpm2) p_OSSL_PROVIDER_unload(key->tpm2);
    if (key->base) p_OSSL_PROVIDER_unload(key->base);
    if (key->libctx) p_OSSL_LIB_CTX_free(key->libctx);
    memset(key, 0, sizeof *key);
    free(key);
}

gw_ossl_key *gw_ossl_key_open(const char *uri, int *provider_missing, char *why, size_t why_len) {
    if (provider_missing) *provider_missing = 0;
    if (gw_ossl_load(why, why_len) != 0) return NULL;
    p_ERR_clear_error();
    // The TPM stack (tss2) under the provider logs its own warnings to stderr, which would be
    // lines in gatewayd's journal outside its log format; the failures reach the caller anyway.
    // An administrator's own TSS2_LOG wins.
    setenv("TSS2_LOG", "all+none", 0);
    gw_ossl_key *key = calloc(1, sizeof *key);
    if (!key) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    // A library context of gatewayd's own: the process's default one (and its config file)
    // stays untouched, and the providers are loaded only here.
    if (!(key->libctx = p_OSSL_LIB_CTX_new())) {
        fail("OSSL_LIB_CTX_new failed", why, why_len);
        gw_ossl_key_free(key);
        return NULL;
    }
    if (!(key->tpm2 = p_OSSL_PROVIDER_load(key->libctx, "tpm2"))) {
        // The provider connects to the TPM when it is loaded, so a missing TPM fails here too:
        // it is "not installed" only when its module file is not there.
        // OpenSSL_version(OPENSSL_MODULES_DIR) reads `MODULESDIR: "/usr/lib/…/ossl-modules"`.
        const char *env = getenv("OPENSSL_MODULES");
        const char *dir = env ? env : p_OpenSSL_version(OPENSSL_MODULES_DIR);
        const char *q = env ? NULL : strchr(dir ? dir : "", '"');
        int len = q ? (int)strcspn(q + 1, "\"") : (int)strlen(dir ? dir : "");
        char path[4096];
        snprintf(path, sizeof path, "%.*s/tpm2.so", len, q ? q + 1 : (dir ? dir : ""));
        struct stat st;
        if (provider_missing) *provider_missing = stat(path, &st) != 0;
        fail(provider_missing && *provider_missing ? "cannot load OpenSSL's tpm2 provider"
                                                   : "OpenSSL's tpm2 provider cannot reach the TPM",
             why, why_len);
        gw_ossl_key_free(key);
        return NULL;
    }
    if (!(key->base = p_OSSL_PROVIDER_load(key->libctx, "default"))) {
        fail("cannot load OpenSSL's default provider", why, why_len);
        gw_ossl_key_free(key);
        return NULL;
    }
    OSSL_STORE_CTX *store = p_OSSL_STORE_open_ex(uri, key->libctx, "?provider=tpm2", NULL, NULL, NULL, NULL, NULL);
    if (!store) {
        fail("cannot open the key", why, why_len);
        gw_ossl_key_free(key);
        return NULL;
    }
    while (!key->pkey && !p_OSSL_STORE_eof(store)) {
        OSSL_STORE_INFO *info = p_OSSL_STORE_load(store);
        if (!info) break;
        if (p_OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY) key->pkey = p_OSSL_STORE_INFO_get1_PKEY(info);
        p_OSSL_STORE_INFO_free(info);
    }
    p_OSSL_STORE_close(store);
    if (!key->pkey) {
        fail("no private key at that handle", why, why_len);
        gw_ossl_key_free(key);
        return NULL;
    }
    return key;
}

int gw_ossl_key_group(gw_ossl_key *key, char *name, size_t name_len) {
    size_t len = 0;
    if (!p_EVP_PKEY_get_utf8_string_param(key->pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, name_len, &len)) return -1;
    return 0;
}

int gw_ossl_key_public(gw_ossl_key *key, uint8_t *out, size_t out_len, char *why, size_t why_len) {
    size_t len = 0;
    // The tpm2 provider exports the point as "pub" (OSSL_PKEY_PARAM_PUB_KEY), not as the
    // encoded public key the default provider also has.
    if (!p_EVP_PKEY_get_octet_string_param(key->pkey, OSSL_PKEY_PARAM_PUB_KEY, out, out_len, &len) &&
        !p_EVP_PKEY_get_octet_string_param(key->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out, out_len, &len)) {
        fail("cannot read the public key", why, why_len);
        return -1;
    }
    return (int)len;
}

/// The peer's public key as an EVP_PKEY of the same curve, in the key's library context.
static EVP_PKEY *peer_key(gw_ossl_key *key, const uint8_t *peer, size_t peer_len, char *why, size_t why_len) {
    char group[64] = {0};
    if (gw_ossl_key_group(key, group, sizeof group) != 0) {
        fail("cannot read the key's curve", why, why_len);
        return NULL;
    }
    EVP_PKEY_CTX *ctx = p_EVP_PKEY_CTX_new_from_name(key->libctx, "EC", "provider=default");
    EVP_PKEY *pk = NULL;
    OSSL_PARAM params[] = {
        p_OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
        p_OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)peer, peer_len),
        p_OSSL_PARAM_construct_end(),
    };
    if (!ctx || p_EVP_PKEY_fromdata_init(ctx) <= 0 || p_EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
        fail("the peer's public key is not a point on the key's curve", why, why_len);
        pk = NULL;
    }
    if (ctx) p_EVP_PKEY_CTX_free(ctx);
    return pk;
}

int gw_ossl_key_derive(gw_ossl_key *key, const uint8_t *peer, size_t peer_len, uint8_t *z, size_t z_len, char *why,
                       size_t why_len) {
    p_ERR_clear_error();
    EVP_PKEY *pk = peer_key(key, peer, peer_len, why, why_len);
    if (!pk) return -1;
    EVP_PKEY_CTX *ctx = p_EVP_PKEY_CTX_new_from_pkey(key->libctx, key->pkey, "?provider=tpm2");
    size_t len = z_len;
    int ok = ctx && p_EVP_PKEY_derive_init(ctx) > 0 && p_EVP_PKEY_derive_set_peer(ctx, pk) > 0 &&
             p_EVP_PKEY_derive(ctx, z, &len) > 0;
    if (!ok) fail("ECDH in the TPM failed", why, why_len);
    if (ctx) p_EVP_PKEY_CTX_free(ctx);
    p_EVP_PKEY_free(pk);
    return ok ? (int)len : -1;
}

int gw_ossl_key_sign_sha256(gw_ossl_key *key, const uint8_t digest[32], uint8_t *sig, size_t sig_len, char *why,
                            size_t why_len) {
    p_ERR_clear_error();
    EVP_PKEY_CTX *ctx = p_EVP_PKEY_CTX_new_from_pkey(key->libctx, key->pkey, "?provider=tpm2");
    size_t len = sig_len;
    int ok = ctx && p_EVP_PKEY_sign_init(ctx) > 0 && p_EVP_PKEY_sign(ctx, sig, &len, digest, 32) > 0;
    if (!ok) fail("ECDSA in the TPM failed", why, why_len);
    if (ctx) p_EVP_PKEY_CTX_free(ctx);
    return ok ? (int)len : -1;
}
