/*
 * Verifies a signature over a digest the caller already holds, with the OpenSSL inside Node.
 * node:crypto only verifies over a whole message (it hashes first); Rekor's hashedrekord entries
 * carry just the artifact's digest, so the log must verify the signature against that digest, as
 * Go's ecdsa.VerifyASN1 and rsa.VerifyPKCS1v15 do in Rekor itself.
 */
#include <node_api.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#define USAGE "verify(spki: Buffer, digestName: string, digest: Buffer, signature: Buffer)"

/* verify(spki, digestName, digest, signature) -> boolean. Malformed keys or signatures are false. */
static napi_value Verify(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value args[4];
  void *spki, *digest, *signature;
  size_t spki_len, digest_len, signature_len, name_len;
  char digest_name[16];

  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc != 4 ||
      napi_get_buffer_info(env, args[0], &spki, &spki_len) != napi_ok ||
      napi_get_value_string_utf8(env, args[1], digest_name, sizeof digest_name, &name_len) != napi_ok ||
      napi_get_buffer_info(env, args[2], &digest, &digest_len) != napi_ok ||
      napi_get_buffer_info(env, args[3], &signature, &signature_len) != napi_ok) {
    napi_throw_type_error(env, NULL, USAGE);
    return NULL;
  }

  int ok = 0;
  const unsigned char *cursor = spki;
  EVP_PKEY *key = d2i_PUBKEY(NULL, &cursor, (long)spki_len);
  const EVP_MD *md = EVP_get_digestbyname(digest_name);
  /* The whole buffer must be one SubjectPublicKeyInfo, and the digest as long as its algorithm's. */
  if (key != NULL && md != NULL && cursor == (const unsigned char *)spki + spki_len &&
      digest_len == (size_t)EVP_MD_get_size(md)) {
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
    if (ctx != NULL && EVP_PKEY_verify_init(ctx) == 1 && EVP_PKEY_CTX_set_signature_md(ctx, md) == 1) {
      /* RSA keys default to PKCS#1 v1.5 padding: the DigestInfo for `md` is checked too. */
      ok = EVP_PKEY_verify(ctx, signature, signature_len, digest, digest_len) == 1;
    }
    EVP_PKEY_CTX_free(ctx);
  }
  EVP_PKEY_free(key);
  ERR_clear_error();

  napi_value result;
  napi_get_boolean(env, ok, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "verify", NAPI_AUTO_LENGTH, Verify, NULL, &fn);
  napi_set_named_property(env, exports, "verify", fn);
  return exports;
}
