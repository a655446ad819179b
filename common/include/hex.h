/* One hexadecimal digit's value: the signatures' hex and JSON's \u escapes. */
#ifndef DISCOVERY_HEX_H
#define DISCOVERY_HEX_H

/* The value of c as a hex digit (either case), or -1. */
static inline int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
