/* Integers in cJSON objects, written exactly. */
#include "json_number.h"

#include <inttypes.h>
#include <stdio.h>

cJSON *json_number_add(cJSON *obj, const char *name, int64_t value)
{
	char digits[24];

	snprintf(digits, sizeof(digits), "%" PRId64, value);
	return cJSON_AddRawToObject(obj, name, digits);
}
