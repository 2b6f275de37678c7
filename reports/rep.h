/*
 * rep.h: report files.  Every writer renders into memory, then
 * rep_write_atomic writes DIR/NAME.tmp, flushes it to disk and renames it
 * into place, so an interrupted run never leaves a half-written report and
 * earlier reports stay intact until the new one is complete.  Output never
 * depends on the locale or the clock: the same results give byte-identical
 * files.
 */
#ifndef REP_H
#define REP_H

#include <stddef.h>
#include <stdio.h>

#include "res.h"

/* Creates dir (and its parents) if missing.  Returns 0 or WSP_E_INVAL with
 * a one-line reason in err. */
int rep_mkdir_p(const char *dir, char *err, size_t errlen);

/* Atomically replaces dir/name with data[0..len).  Returns 0 or WSP_E_INVAL
 * with a one-line reason (path and system error) in err. */
int rep_write_atomic(const char *dir, const char *name, const char *data,
		     size_t len, char *err, size_t errlen);

/* results.json: the native results (docs/report-format.md). */
int rep_json_render(const struct res_run *r, char **out, size_t *len);
int rep_json_write(const struct res_run *r, const char *dir, char *err,
		   size_t errlen);

/* Reads a results.json document (text[0..len)) back into *r.  Returns 0,
 * or WSP_E_INVAL with "line:column: what is wrong" in err.  *r must be
 * freed with res_free either way. */
int rep_json_parse(struct res_run *r, const char *text, size_t len,
		   char *err, size_t errlen);

/* The text summary: counts per category, then each FAILED case with its
 * reason.  colour adds ANSI colours. */
void rep_text_print(FILE *out, const struct res_run *r, int colour);

#endif
