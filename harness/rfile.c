/*
 * rfile.c: a whole file into memory, with a cap (see rfile.h).
 */
#include "rfile.h"

#include <stdint.h>
#include <stdlib.h>

#include "wsp_err.h"

int rfile_read(FILE *fp, size_t first, size_t max, char **text, size_t *len)
{
	*text = NULL;
	*len = 0;
	size_t cap = first, n = 0;
	char *buf = malloc(cap);
	if (buf == NULL)
		return WSP_E_NOMEM;
	for (;;) {
		if (n == cap) {
			if (cap >= max) {
				free(buf);
				return WSP_E_LIMIT;
			}
			char *nb = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2)
						       : NULL;
			if (nb == NULL) {
				free(buf);
				return WSP_E_NOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - n, fp);
		if (got == 0)
			break;
		n += got;
	}
	if (ferror(fp)) {
		free(buf);
		return WSP_E_INVAL;
	}
	*text = buf;
	*len = n;
	return 0;
}
