// OpenSSL 3's libcrypto, loaded on first use, for a device key held in a TPM 2.0 through the
// tpm2 provider (Debian tpm2-openssl): gatewayd links no libcrypto, so a terminal whose key is
// a file never maps it. TLS stays in swift-nio-ssl and sealing in swift-crypto; all this does
// is the two operations of the key that must happen where the key is — ECDH (the static DH of
// HPKE AuthEncap) and ECDSA over a digest (the TLS client signature) — and reading its public
// key. Every OpenSSL call happens in COpenSSL.c through pointers of its own: no OpenSSL symbol
// is defined in (or exported from) gatewayd.
#pragma once
#include <stddef.h>
#include <stdint.h>

/// Loads libcrypto.so.3 and resolves every function used (once; later calls return the first
/// result). Returns 0, or -1 with the reason in `why`.
int gw_ossl_load(char *why, size_t why_len);

/// A private key from an OSSL_STORE URI ("handle:0x81000002") in a library context of its own
/// with the tpm2 and default providers loaded. Opaque; free with gw_ossl_key_free.
typedef struct gw_ossl_key gw_ossl_key;

/// Opens the key at `uri` through the tpm2 provider. NULL on failure, with OpenSSL's reasons
/// (or which step failed) in `why`. `provider_missing` is set to 1 when the tpm2 provider
/// could not be loaded because its module is not there (the package is not installed); a
/// provider that is there but cannot reach a TPM fails to load too, with 0.
gw_ossl_key *gw_ossl_key_open(const char *uri, int *provider_missing, char *why, size_t why_len);

/// The key's curve ("prime256v1" for P-256) into `name`; 0, or -1.
int gw_ossl_key_group(gw_ossl_key *key, char *name, size_t name_len);

/// The public key as an uncompressed SEC1 point (65 bytes for P-256) into `out`; returns its
/// length, or -1 with the reason.
int gw_ossl_key_public(gw_ossl_key *key, uint8_t *out, size_t out_len, char *why, size_t why_len);

/// ECDH with the peer's uncompressed point: the shared x-coordinate into `z`. Returns its
/// length, or -1 with the reason. Runs in the TPM: blocks for a TPM round trip.
int gw_ossl_key_derive(gw_ossl_key *key, const uint8_t *peer, size_t peer_len, uint8_t *z, size_t z_len, char *why,
                       size_t why_len);

/// ECDSA over a SHA-256 digest: a DER signature into `sig`. Returns its length, or -1 with the
/// reason. Runs in the TPM: blocks for a TPM round trip.
int gw_ossl_key_sign_sha256(gw_ossl_key *key, const uint8_t digest[32], uint8_t *sig, size_t sig_len, char *why,
                            size_t why_len);

void gw_ossl_key_free(gw_ossl_key *key);
