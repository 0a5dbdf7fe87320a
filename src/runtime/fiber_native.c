/* SPDX-License-Identifier: Apache-2.0 */
/* src/runtime/fiber_native.c - the machine-context back end for x86-64 and aarch64: builds a new
 * fiber's first frame so that fiber_<arch>.S's switch "returns" into the trampoline, which calls
 * the entry function. The build compiles every back end; each is empty except on its architectures.
 */
#include "runtime/fiber.h"

#if defined(GK__FIBER_NATIVE)

#include <stdint.h>
#include <string.h>

#include "base/banned.h"

/* From fiber_<arch>.S. */
void gk__fiber_swap(void **save_sp, void *to_sp);
void gk__fiber_trampoline(void);

void gk__fctx_make(gk__fctx *c, void *lo, size_t size, void (*entry)(void *arg), void *arg)
{
    uintptr_t top = ((uintptr_t)lo + size) & ~(uintptr_t)15;
#if defined(__x86_64__)
    /* From the top: return address, rbp, rbx, r12 (arg), r13 (entry), r14, r15, then MXCSR and the
     * x87 control word in one 8-byte slot. The return slot sits at 8 mod 16 so that the trampoline
     * starts with a 16-byte aligned stack. */
    uint64_t *sp = (uint64_t *)(top - 64);
    uint32_t csr = 0x1F80; /* MXCSR power-on value: all exceptions masked, round to nearest */
    uint16_t cw = 0x037F;  /* x87 default: all exceptions masked, extended precision */
    memset(sp, 0, 64);
    memcpy((char *)sp, &csr, sizeof(csr));
    memcpy((char *)sp + 4, &cw, sizeof(cw));
    sp[1] = 0;                                         /* r15 */
    sp[2] = 0;                                         /* r14 */
    sp[3] = (uint64_t)(uintptr_t)entry;                /* r13 */
    sp[4] = (uint64_t)(uintptr_t)arg;                  /* r12 */
    sp[5] = 0;                                         /* rbx */
    sp[6] = 0;                                         /* rbp */
    sp[7] = (uint64_t)(uintptr_t)gk__fiber_trampoline; /* return address */
    c->sp = sp;
#else
    /* 176 bytes, as fiber_aarch64.S lays them out: x19..x30 at 0..95, d8..d15 at 96..159, FPCR at
     * 160. x19 carries arg, x20 entry, x30 the trampoline. */
    uint64_t *sp = (uint64_t *)(top - 176);
    memset(sp, 0, 176);
    sp[0] = (uint64_t)(uintptr_t)arg;
    sp[1] = (uint64_t)(uintptr_t)entry;
    sp[11] = (uint64_t)(uintptr_t)gk__fiber_trampoline;
    c->sp = sp;
#endif
}

void gk__fctx_switch(gk__fctx *from, gk__fctx *to)
{
    gk__fiber_swap(&from->sp, to->sp);
}

#endif
