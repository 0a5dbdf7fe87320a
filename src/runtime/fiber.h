/* SPDX-License-Identifier: Apache-2.0 */
/* src/runtime/fiber.h - stackful coroutines: pooled guarded stacks and the context switch.
 * A fiber only ever switches to and from its host (the loop's own stack); fibers never switch to
 * each other, so the scheduler stays in one place (loop.c). This file knows nothing of loops,
 * contexts or libuv. Back ends (the machine context) are files with one contract:
 * fiber_native.c + fiber_<arch>.S for x86-64 and aarch64, fiber_ucontext.c elsewhere.
 * Threads: a host and its fibers belong to one thread. */
#ifndef GK_RUNTIME_FIBER_H
#define GK_RUNTIME_FIBER_H

#include <stdbool.h>
#include <stddef.h>

/* GK_FIBER_UCONTEXT (a build option) forces the portable back end, to test it on any machine. */
#if (defined(__x86_64__) || defined(__aarch64__)) && !defined(GK_FIBER_UCONTEXT)
#define GK__FIBER_NATIVE 1
/* The saved stack pointer; the registers live on the suspended stack itself. */
typedef struct gk__fctx {
    void *sp;
} gk__fctx;
#else
#include <ucontext.h>
typedef struct gk__fctx {
    ucontext_t uc;
} gk__fctx;
#endif

/* Back end: prepare c so that the first switch to it runs entry(arg) on the stack [lo, lo + size).
 * entry must never return (it switches away for the last time instead). */
void gk__fctx_make(gk__fctx *c, void *lo, size_t size, void (*entry)(void *arg), void *arg);

/* Back end: save the running context into from and resume to. Returns when something switches back
 * to from. */
void gk__fctx_switch(gk__fctx *from, gk__fctx *to);

struct gk_loop;
struct gk_ctx;
typedef struct gk_fiber gk_fiber;
typedef struct gk__fiber_host gk__fiber_host;

/*
 * One fiber and its stack. The stack mapping is [map, map + map_size): one PROT_NONE guard page at
 * the bottom, then stack_size usable bytes at stack_lo. The struct is malloc'd and pooled together
 * with its stack. Fields under "owner" belong to the scheduler (loop.c).
 */
struct gk_fiber {
    gk__fctx fctx; /* the fiber's context while it is not running */
    gk__fiber_host *host;
    void *map;
    size_t map_size;
    void *stack_lo;
    size_t stack_size;
    bool finished; /* its entry function returned; it never runs again until reused */
    void *asan_fake_stack;
    void *tsan_fiber;
    void (*entry)(gk_fiber *f); /* what the fiber runs; set by gk__fiber_new */
    gk_fiber *next;             /* pool free list, or the owner's ready queue */
    /* owner */
    struct gk_loop *loop;
    struct gk_ctx *ctx;
    void (*fn)(struct gk_ctx *ctx, void *arg);
    void (*done)(void *arg);
    void *arg;
    bool queued;          /* in the owner's ready queue */
    gk_fiber *alive_next; /* the owner's list of unfinished fibers */
    gk_fiber *alive_prev;
};

/* The per-thread side of switching: the host stack's context and the stack pool.
 * Invariants: current is the fiber running now (NULL on the host stack); pool holds pooled fibers,
 * all finished, pooled <= pool_cap. */
struct gk__fiber_host {
    gk__fctx fctx;
    gk_fiber *current;
    const void *stack_bottom; /* the host stack, as the sanitizers report it */
    size_t host_stack_size;
    void *tsan_fiber;
    gk_fiber *pool;
    size_t pooled;
    size_t pool_cap;
    size_t stack_size; /* usable bytes per fiber stack, a multiple of the page size */
    size_t alive;      /* fibers handed out and not yet released */
};

/* Set up h for stacks of stack_size usable bytes (0: 64 KiB; rounded up to pages) keeping at most
 * pool_cap idle stacks. */
void gk__fiber_host_init(gk__fiber_host *h, size_t stack_size, size_t pool_cap);

/* Unmap every pooled stack. Fibers still alive are not touched (see gk__fiber_discard). */
void gk__fiber_host_destroy(gk__fiber_host *h);

/*
 * A fiber that will run entry(arg) when first resumed, from the pool or freshly mapped.
 * Returns: the fiber; NULL if no stack could be mapped (out of memory or map count).
 */
gk_fiber *gk__fiber_new(gk__fiber_host *h, void (*entry)(gk_fiber *f));

/* From the host stack: run f until it yields or finishes. */
void gk__fiber_resume(gk_fiber *f);

/* From fiber f itself: switch back to the host; returns when f is resumed again. */
void gk__fiber_yield(gk_fiber *f);

/* From fiber f: the last switch out. The entry function calls it instead of returning. */
__attribute__((noreturn)) void gk__fiber_exit(gk_fiber *f);

/* Return a finished fiber's stack to the pool (or unmap it when the pool is full). */
void gk__fiber_release(gk_fiber *f);

/* Unmap a fiber that never finished (a loop torn down with fibers still parked). */
void gk__fiber_discard(gk_fiber *f);

#endif
