#ifndef DISCOVERY_REGISTRY_REUREKA_XML_H
#define DISCOVERY_REGISTRY_REUREKA_XML_H

#include <stddef.h>

#include "registry/reureka.h"

/*
 * Eureka's XML form of a document, as its server writes it (XStream with
 * Eureka's Converters: ApplicationsConverter, ApplicationConverter,
 * InstanceInfoConverter, LeaseInfoConverter, MetadataConverter), indented
 * by two spaces as XStream's PrettyPrintWriter does, without an XML
 * declaration: <port enabled="true">6767</port>, "overriddenstatus" in
 * lower case, an empty metadata as <metadata
 * class="java.util.Collections$EmptyMap"/>, metadata keys as element
 * names in XStream's coding (rxml_name). free() the text; NULL on no
 * memory.
 */
char *reureka_xml(const struct reureka_doc *d, size_t *len) __attribute__((warn_unused_result));

#endif
