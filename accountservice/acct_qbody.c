/* What the accountservice takes from a quotes-service body; see acct_qbody.h. */
#include "accountservice/acct_qbody.h"

#include "utf8.h"

cJSON *acct_qbody_parse(const char *body, size_t len)
{
	static const char *const fields[] = {"quote", "ipAddress", "language"};
	cJSON *root, *o = NULL;

	/* What is copied goes into our own JSON: bytes that are not UTF-8
	 * would make it invalid, and a \u0000 would cut a field short. */
	if (!utf8_is_valid(body, len, false) || utf8_json_has_escaped_nul(body, len))
		return NULL;
	root = cJSON_ParseWithLength(body, len);
	if (!cJSON_IsObject(root))
		goto out;
	o = cJSON_CreateObject();
	for (size_t i = 0; o != NULL && i < sizeof(fields) / sizeof(fields[0]); i++) {
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(root, fields[i]);
		if (!cJSON_IsString(f) ||
		    cJSON_AddStringToObject(o, fields[i], f->valuestring) == NULL) {
			cJSON_Delete(o);
			o = NULL;
		}
	}
out:
	cJSON_Delete(root);
	return o;
}
