/*
 * Discovery token v1: HMAC-SHA256 signatures of message bodies, sent in the
 * TOKEN_SIGNATURE_HEADER header (docs/token.md).
 */
#include "token_sign.h"

#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "hex.h"

#define TOKEN_MAC_LEN 32

static bool hmac_sha256(const char *key, size_t key_len, const void *body, size_t len,
			unsigned char mac[TOKEN_MAC_LEN])
{
	unsigned int mac_len = 0;

	if (key_len > INT32_MAX)
		return false;
	if (body == NULL)
		body = "";
	if (HMAC(EVP_sha256(), key, (int)key_len, body, len, mac, &mac_len) == NULL)
		return false;
	return mac_len == TOKEN_MAC_LEN;
}

void token_sign(const char *secret, const void *body, size_t len, char hex[TOKEN_SIGNATURE_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char mac[TOKEN_MAC_LEN];

	hex[0] = '\0';
	if (secret == NULL || !hmac_sha256(secret, strcspn(secret, ","), body, len, mac))
		return;
	for (size_t i = 0; i < TOKEN_MAC_LEN; i++) {
		hex[2 * i] = digits[mac[i] >> 4];
		hex[2 * i + 1] = digits[mac[i] & 0x0F];
	}
	hex[TOKEN_SIGNATURE_HEX] = '\0';
}

bool token_verify(const char *secret, const void *body, size_t len, const char *hex)
{
	unsigned char want[TOKEN_MAC_LEN], got[TOKEN_MAC_LEN];

	if (hex == NULL || strnlen(hex, TOKEN_SIGNATURE_HEX + 1) != TOKEN_SIGNATURE_HEX)
		return false;
	for (size_t i = 0; i < TOKEN_MAC_LEN; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		got[i] = (unsigned char)(hi << 4 | lo);
	}
	if (secret == NULL)
		return false;
	/* Every key of the list is tried, so that a rotation has no gap; each
	 * comparison is constant-time, as the signature is what gets probed. */
	for (const char *key = secret;; key += strcspn(key, ",") + 1) {
		size_t key_len = strcspn(key, ",");

		if (key_len > 0 && hmac_sha256(key, key_len, body, len, want) &&
		    CRYPTO_memcmp(want, got, TOKEN_MAC_LEN) == 0)
			return true;
		if (key[key_len] == '\0')
			return false;
	}
}
