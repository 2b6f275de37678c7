/*
 * rep_file.c: directory creation and atomic file replacement for reports.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rep.h"
#include "wsp_err.h"

int rep_mkdir_p(const char *dir, char *err, size_t errlen)
{
	char path[4096];
	size_t n = strlen(dir);
	if (n == 0 || n >= sizeof(path)) {
		snprintf(err, errlen, "report directory name is empty or too long");
		return WSP_E_INVAL;
	}
	memcpy(path, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		char saved = path[i];
		path[i] = '\0';
		if (mkdir(path, 0777) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "%s: cannot create directory: %s", path,
				 strerror(errno));
			return WSP_E_INVAL;
		}
		path[i] = saved;
	}
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", dir);
		return WSP_E_INVAL;
	}
	return 0;
}

int rep_write_atomic(const char *dir, const char *name, const char *data,
		     size_t len, char *err, size_t errlen)
{
	char path[4096], tmp[4200];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		snprintf(err, errlen, "%s/%s: path too long", dir, name);
		return WSP_E_INVAL;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
		return WSP_E_INVAL;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(err, errlen, "%s: write failed: %s", tmp,
				 w < 0 ? strerror(errno) : "no progress");
			close(fd);
			unlink(tmp);
			return WSP_E_INVAL;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		snprintf(err, errlen, "%s: cannot flush: %s", tmp, strerror(errno));
		unlink(tmp);
		return WSP_E_INVAL;
	}
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: cannot rename into place: %s", path,
			 strerror(errno));
		unlink(tmp);
		return WSP_E_INVAL;
	}
	return 0;
}
