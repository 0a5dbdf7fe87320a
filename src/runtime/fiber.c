/* SPDX-License-Identifier: Apache-2.0 */
/* src/runtime/fiber.c - fiber stacks (mmap'd, a PROT_NONE guard page below, pooled per host) and
 * switching between a host stack and its fibers, with the sanitizers' fiber hooks: ASan must be
 * told about every stack switch or it reports false stack-buffer-overflows, TSan or it mixes up
 * threads. Scheduling is not here: loop.c decides what runs. */
#include "runtime/fiber.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(GK_SANITIZE_ADDRESS) || defined(__SANITIZE_ADDRESS__)
#define GK__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GK__ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define GK__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GK__TSAN 1
#endif
#endif

#if defined(GK__ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(GK__TSAN)
#include <sanitizer/tsan_interface.h>
#endif

#include "base/banned.h"

#define GK__DEFAULT_STACK (64 * 1024)

static size_t page_size(void)
{
    static size_t cached;
    if (!cached) {
        long p = sysconf(_SC_PAGESIZE);
        cached = p > 0 ? (size_t)p : 4096;
    }
    return cached;
}

void gk__fiber_host_init(gk__fiber_host *h, size_t stack_size, size_t pool_cap)
{
    size_t page = page_size();
    memset(h, 0, sizeof(*h));
    if (stack_size == 0)
        stack_size = GK__DEFAULT_STACK;
    if (stack_size < 4 * page)
        stack_size = 4 * page;
    h->stack_size = (stack_size + page - 1) / page * page;
    h->pool_cap = pool_cap;
}

static void unmap_fiber(gk_fiber *f)
{
#if defined(GK__TSAN)
    if (f->tsan_fiber)
        __tsan_destroy_fiber(f->tsan_fiber);
#endif
    munmap(f->map, f->map_size);
    free(f);
}

void gk__fiber_host_destroy(gk__fiber_host *h)
{
    while (h->pool) {
        gk_fiber *f = h->pool;
        h->pool = f->next;
        unmap_fiber(f);
    }
    h->pooled = 0;
}

/* Every fiber starts here (through the back end's trampoline). */
static void fiber_start(void *arg)
{
    gk_fiber *f = arg;
#if defined(GK__ASAN)
    /* First arrival on this stack: no fake stack to restore; learn the host stack's bounds. */
    __sanitizer_finish_switch_fiber(NULL, &f->host->stack_bottom, &f->host->host_stack_size);
#endif
    f->entry(f);
    f->finished = true;
    gk__fiber_exit(f);
}

gk_fiber *gk__fiber_new(gk__fiber_host *h, void (*entry)(gk_fiber *f))
{
    gk_fiber *f = h->pool;
    if (f) {
        h->pool = f->next;
        h->pooled--;
    } else {
        size_t page = page_size();
        f = calloc(1, sizeof(*f));
        if (!f)
            return NULL;
        f->map_size = h->stack_size + page;
        /* MAP_NORESERVE: an idle stack costs address space, not commit; only touched pages count.
         */
        f->map = mmap(NULL, f->map_size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
        if (f->map == MAP_FAILED) {
            free(f);
            return NULL;
        }
        /* The guard page below the stack turns an overflow into a fault instead of silent
         * corruption of whatever is mapped there. */
        if (mprotect(f->map, page, PROT_NONE) != 0) {
            munmap(f->map, f->map_size);
            free(f);
            return NULL;
        }
        f->stack_lo = (char *)f->map + page;
        f->stack_size = h->stack_size;
        f->host = h;
#if defined(GK__TSAN)
        f->tsan_fiber = __tsan_create_fiber(0);
#endif
    }
    f->finished = false;
    f->entry = entry;
    f->next = NULL;
    f->asan_fake_stack = NULL;
    gk__fctx_make(&f->fctx, f->stack_lo, f->stack_size, fiber_start, f);
    h->alive++;
    return f;
}

void gk__fiber_resume(gk_fiber *f)
{
    gk__fiber_host *h = f->host;
#if defined(GK__ASAN)
    void *fake = NULL;
    __sanitizer_start_switch_fiber(&fake, f->stack_lo, f->stack_size);
#endif
#if defined(GK__TSAN)
    h->tsan_fiber = __tsan_get_current_fiber();
    __tsan_switch_to_fiber(f->tsan_fiber, 0);
#endif
    h->current = f;
    gk__fctx_switch(&h->fctx, &f->fctx);
    h->current = NULL;
#if defined(GK__ASAN)
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
}

void gk__fiber_yield(gk_fiber *f)
{
    gk__fiber_host *h = f->host;
#if defined(GK__ASAN)
    __sanitizer_start_switch_fiber(&f->asan_fake_stack, h->stack_bottom, h->host_stack_size);
#endif
#if defined(GK__TSAN)
    __tsan_switch_to_fiber(h->tsan_fiber, 0);
#endif
    gk__fctx_switch(&f->fctx, &h->fctx);
#if defined(GK__ASAN)
    __sanitizer_finish_switch_fiber(f->asan_fake_stack, &h->stack_bottom, &h->host_stack_size);
#endif
}

void gk__fiber_exit(gk_fiber *f)
{
    gk__fiber_host *h = f->host;
#if defined(GK__ASAN)
    /* NULL: this stack is left for good, so ASan may drop its fake frames. */
    __sanitizer_start_switch_fiber(NULL, h->stack_bottom, h->host_stack_size);
#endif
#if defined(GK__TSAN)
    __tsan_switch_to_fiber(h->tsan_fiber, 0);
#endif
    gk__fctx_switch(&f->fctx, &h->fctx);
    __builtin_unreachable();
}

void gk__fiber_release(gk_fiber *f)
{
    gk__fiber_host *h = f->host;
    h->alive--;
#if defined(GK__ASAN)
    /* Frames that never returned (the entry's) leave poisoned redzones; the next user of the stack
     * must start clean. */
    __asan_unpoison_memory_region(f->stack_lo, f->stack_size);
#endif
    if (h->pooled >= h->pool_cap) {
        unmap_fiber(f);
        return;
    }
    f->next = h->pool;
    h->pool = f;
    h->pooled++;
}

void gk__fiber_discard(gk_fiber *f)
{
    f->host->alive--;
#if defined(GK__ASAN)
    __asan_unpoison_memory_region(f->stack_lo, f->stack_size);
#endif
    unmap_fiber(f);
}
