/* SPDX-License-Identifier: Apache-2.0 */
/* src/runtime/fiber_ucontext.c - the portable machine-context back end (POSIX ucontext) for
 * architectures without a hand-written switch. About 60 times slower than the native switch:
 * glibc's swapcontext saves the signal mask with a system call. Empty on x86-64 and aarch64. */
#include "runtime/fiber.h"

#if !defined(GK__FIBER_NATIVE)

#include <stdint.h>

#include "base/banned.h"

/* makecontext passes only int arguments: the entry and its argument travel as 32-bit halves. */
static void ucontext_start(unsigned int fn_hi, unsigned int fn_lo, unsigned int arg_hi,
                           unsigned int arg_lo)
{
    uintptr_t fn = ((uintptr_t)fn_hi << 16 << 16) | fn_lo;
    uintptr_t arg = ((uintptr_t)arg_hi << 16 << 16) | arg_lo;
    ((void (*)(void *))fn)((void *)arg);
}

void gk__fctx_make(gk__fctx *c, void *lo, size_t size, void (*entry)(void *arg), void *arg)
{
    uintptr_t fn = (uintptr_t)entry;
    uintptr_t a = (uintptr_t)arg;
    getcontext(&c->uc);
    c->uc.uc_stack.ss_sp = lo;
    c->uc.uc_stack.ss_size = size;
    c->uc.uc_link = NULL;
    makecontext(&c->uc, (void (*)(void))ucontext_start, 4, (unsigned int)(fn >> 16 >> 16),
                (unsigned int)fn, (unsigned int)(a >> 16 >> 16), (unsigned int)a);
}

void gk__fctx_switch(gk__fctx *from, gk__fctx *to)
{
    swapcontext(&from->uc, &to->uc);
}

#endif
