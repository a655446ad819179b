#ifndef DISCOVERY_REGISTRY_RXML_H
#define DISCOVERY_REGISTRY_RXML_H

#include <stdio.h>

/*
 * The two escapes of the XML the registry writes (Eureka's XML form). Both
 * take valid UTF-8 without NUL, which is all the token decoder lets in.
 */

/* s as character data, fit for an attribute in double quotes too: & < >
 * and " as references; U+FFFE and U+FFFF, which XML cannot carry at all,
 * as U+FFFD. */
void rxml_text(FILE *f, const char *s);

/* s as an element name, the way Eureka's XStream name coder writes one:
 * '$' as "_-", '_' as "__", and a character that may not start a name
 * (first) or be in one (after) as "_." and its code point in (at least
 * four) hex digits. */
void rxml_name(FILE *f, const char *s);

#endif
