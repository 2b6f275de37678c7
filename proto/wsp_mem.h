/*
 * wsp_mem.h: the allocator vtable every allocating proto/ object takes.
 *
 * Allocation goes through a caller-supplied struct wsp_mem (nghttp2's
 * nghttp2_mem is the model) so that tests can make the N-th allocation fail
 * and check every out-of-memory path.  Passing NULL wherever a
 * const struct wsp_mem * is taken means the C library's allocator.
 */
#ifndef WSP_MEM_H
#define WSP_MEM_H

#include <stddef.h>

struct wsp_mem {
	void *(*malloc)(size_t size, void *user);
	void *(*realloc)(void *ptr, size_t size, void *user);
	void (*free)(void *ptr, void *user);
	void *user;
};

/* The default allocator (malloc/realloc/free).  Static storage. */
const struct wsp_mem *wsp_mem_default(void);

/* Wrappers that substitute the default allocator for a NULL mem. */
void *wsp_malloc(const struct wsp_mem *mem, size_t size);
void *wsp_realloc(const struct wsp_mem *mem, void *ptr, size_t size);
void wsp_free(const struct wsp_mem *mem, void *ptr);

#endif
