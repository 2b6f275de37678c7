/*
 * wsp_mem.c: the default allocator behind struct wsp_mem.
 */
#include <stdlib.h>

#include "wsp_mem.h"

static void *default_malloc(size_t size, void *user)
{
	(void)user;
	return malloc(size);
}

static void *default_realloc(void *ptr, size_t size, void *user)
{
	(void)user;
	return realloc(ptr, size);
}

static void default_free(void *ptr, void *user)
{
	(void)user;
	free(ptr);
}

static const struct wsp_mem default_mem = {
	default_malloc, default_realloc, default_free, NULL
};

const struct wsp_mem *wsp_mem_default(void)
{
	return &default_mem;
}

void *wsp_malloc(const struct wsp_mem *mem, size_t size)
{
	if (mem == NULL)
		mem = &default_mem;
	return mem->malloc(size, mem->user);
}

void *wsp_realloc(const struct wsp_mem *mem, void *ptr, size_t size)
{
	if (mem == NULL)
		mem = &default_mem;
	return mem->realloc(ptr, size, mem->user);
}

void wsp_free(const struct wsp_mem *mem, void *ptr)
{
	if (mem == NULL)
		mem = &default_mem;
	mem->free(ptr, mem->user);
}
