/* SPDX-License-Identifier: Apache-2.0 */
/* src/runtime/fiber_x86_64.S - the x86-64 System V context switch for fibers (fiber_native.c).
 * Saves the callee-saved registers (rbx, rbp, r12-r15), the MXCSR control bits and the x87 control
 * word on the current stack, stores the stack pointer, loads the other one and restores the same.
 * Caller-saved registers need no saving: the switch is an ordinary call for the compiler. */
#if defined(__x86_64__)

    .text

/* void gk__fiber_swap(void **save_sp, void *to_sp) */
    .globl gk__fiber_swap
    .hidden gk__fiber_swap
    .type gk__fiber_swap, @function
    .align 16
gk__fiber_swap:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .cfi_endproc
    .size gk__fiber_swap, .-gk__fiber_swap

/* The first switch to a new fiber "returns" here with r12 = arg and r13 = entry; the stack pointer
 * is 16-byte aligned, as a call requires. entry never returns. */
    .globl gk__fiber_trampoline
    .hidden gk__fiber_trampoline
    .type gk__fiber_trampoline, @function
    .align 16
gk__fiber_trampoline:
    .cfi_startproc
    .cfi_undefined rip
    movq %r12, %rdi
    callq *%r13
    ud2
    .cfi_endproc
    .size gk__fiber_trampoline, .-gk__fiber_trampoline

#endif
/* No executable stack for this object, whatever the target (ARM spells the section type with %). */
#if defined(__aarch64__) || defined(__arm__)
    .section .note.GNU-stack,"",%progbits
#else
    .section .note.GNU-stack,"",@progbits
#endif
