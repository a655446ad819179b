#ifndef DISCOVERY_JSON_NUMBER_H
#define DISCOVERY_JSON_NUMBER_H

#include <stdint.h>

#include <cjson/cJSON.h>

/*
 * Adds an integer to obj as its exact digits. cJSON prints numbers with
 * "%1.15g": past 15 digits it rounds them (seq and ts, up to 2^53) or
 * writes an exponent (the registry's 16-digit indexes), which clients then
 * read as floats. The new item, or NULL on no memory.
 */
cJSON *json_number_add(cJSON *obj, const char *name, int64_t value);

#endif
