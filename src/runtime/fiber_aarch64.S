/* SPDX-License-Identifier: Apache-2.0 */
/* src/runtime/fiber_aarch64.S - the AArch64 (AAPCS64) context switch for fibers (fiber_native.c).
 * Saves the callee-saved registers x19-x28, the frame pointer x29, the link register x30, the
 * low halves d8-d15 and the FPCR on the current stack, stores the stack pointer, loads the other
 * one and restores the same. Caller-saved registers need no saving: the switch is an ordinary
 * call. */
#if defined(__aarch64__)

    .text

/* void gk__fiber_swap(void **save_sp, void *to_sp) */
    .globl gk__fiber_swap
    .hidden gk__fiber_swap
    .type gk__fiber_swap, %function
    .align 4
gk__fiber_swap:
    .cfi_startproc
    sub sp, sp, #176
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mrs x9, fpcr
    str x9, [sp, #160]
    mov x9, sp
    str x9, [x0]
    mov sp, x1
    ldr x9, [sp, #160]
    msr fpcr, x9
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    add sp, sp, #176
    ret
    .cfi_endproc
    .size gk__fiber_swap, .-gk__fiber_swap

/* The first switch to a new fiber "returns" here (x30) with x19 = arg and x20 = entry. entry never
 * returns. */
    .globl gk__fiber_trampoline
    .hidden gk__fiber_trampoline
    .type gk__fiber_trampoline, %function
    .align 4
gk__fiber_trampoline:
    .cfi_startproc
    .cfi_undefined x30
    mov x29, #0
    mov x0, x19
    blr x20
    brk #0
    .cfi_endproc
    .size gk__fiber_trampoline, .-gk__fiber_trampoline

#endif
/* No executable stack for this object, whatever the target (ARM spells the section type with %). */
#if defined(__aarch64__) || defined(__arm__)
    .section .note.GNU-stack,"",%progbits
#else
    .section .note.GNU-stack,"",@progbits
#endif
