/*
 * rfile.h: reading a whole small file (a spec, a case file) into memory
 * with a size cap, shared by the readers in spec.c and lcase.c and the
 * fuzz corpus replayer (fuzz/replay_main.c), which word their own error
 * messages.
 */
#ifndef RFILE_H
#define RFILE_H

#include <stddef.h>
#include <stdio.h>

/*
 * Reads fp to its end into a fresh malloc'd buffer: *text (the caller's to
 * free; no NUL added) and *len.  The buffer starts at first bytes (> 0) and
 * doubles; a file that fills max bytes (first doubled a whole number of
 * times) counts as too large, whatever follows (SIZE_MAX: no cap but
 * memory).  Returns 0, WSP_E_LIMIT (too large), WSP_E_NOMEM, or
 * WSP_E_INVAL on a read error (ferror); on error *text is NULL and *len
 * 0.  fp stays open.
 */
int rfile_read(FILE *fp, size_t first, size_t max, char **text, size_t *len);

#endif
