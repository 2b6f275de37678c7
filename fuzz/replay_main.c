/*
 * replay_main.c: a standalone main() that feeds files to a fuzz target's
 * LLVMFuzzerTestOneInput, so a gcc build with ASan and UBSan replays every
 * corpus file as a regression test without libFuzzer (curl-fuzzer's
 * standalone runner is the model).
 *
 * Usage: replay FILE-OR-DIR...  Directories are read one level deep, in
 * name order.  Exit 0 when every input ran; 3 when one could not be read.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "rfile.h"
#include "wsp_err.h"

/* Weak so that targets without an initialiser link too. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int run_file(const char *path, long *count)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	char *buf;
	size_t len;
	int rc = rfile_read(f, 4096, SIZE_MAX, &buf, &len);
	fclose(f);
	if (rc == WSP_E_INVAL)
		fprintf(stderr, "replay: %s: read error\n", path);
	if (rc != 0)
		return -1;
	/* An exactly-sized copy, so ASan catches a read one past the end. */
	uint8_t *exact = malloc(len > 0 ? len : 1);
	if (exact == NULL) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	(*count)++;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, long *count)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = realloc(names, cap * sizeof(*names));
			if (nn == NULL) {
				rc = -1;
				break;
			}
			names = nn;
		}
		size_t plen = strlen(dir) + strlen(e->d_name) + 2;
		names[n] = malloc(plen);
		if (names[n] == NULL) {
			rc = -1;
			break;
		}
		snprintf(names[n], plen, "%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 && run_file(names[i], count) != 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	long count = 0;
	int rc = 0;
	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			rc = 3;
			continue;
		}
		if ((S_ISDIR(st.st_mode) ? run_dir(argv[i], &count)
					 : run_file(argv[i], &count)) != 0)
			rc = 3;
	}
	fprintf(stderr, "replay: %ld inputs\n", count);
	return rc;
}
