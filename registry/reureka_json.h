#ifndef DISCOVERY_REGISTRY_REUREKA_JSON_H
#define DISCOVERY_REGISTRY_REUREKA_JSON_H

#include <stddef.h>

#include "registry/reureka.h"

/*
 * Eureka's JSON form of a document, as its server writes it
 * (EurekaJacksonCodec: InstanceInfoSerializer, ApplicationSerializer,
 * ApplicationsSerializer): the fields in its order, ports as
 * {"$":6767,"@enabled":"true"}, an empty metadata as
 * {"@class":"java.util.Collections$EmptyMap"}, the @Auto fields
 * (isCoordinatingDiscoveryServer, the timestamps, actionType) as strings.
 * free() the text (cJSON prints with malloc: the registry installs no
 * hooks); NULL on no memory.
 */
char *reureka_json(const struct reureka_doc *d, size_t *len) __attribute__((warn_unused_result));

#endif
