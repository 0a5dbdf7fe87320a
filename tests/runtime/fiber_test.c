/* SPDX-License-Identifier: Apache-2.0 */
/* tests/runtime/fiber_test.c - fibers on a bare host (no loop): switching, interleaving, the
 * floating-point control state, deep recursion within the stack, the guard page, the stack pool. */
#include <fenv.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runtime/fiber.h"
#include "test.h"

struct trace {
    int log[16];
    int n;
};

static void three_steps(gk_fiber *f)
{
    struct trace *t = f->arg;
    int local = 100; /* must survive every switch */
    for (int i = 0; i < 3; i++) {
        t->log[t->n++] = local + i;
        gk__fiber_yield(f);
    }
    t->log[t->n++] = -1;
}

TEST(fiber_resume_and_yield_alternate_keeping_locals)
{
    gk__fiber_host h;
    struct trace t = {0};
    gk__fiber_host_init(&h, 0, 4);
    gk_fiber *f = gk__fiber_new(&h, three_steps);
    ASSERT_TRUE(f != NULL);
    f->arg = &t;
    for (int i = 0; i < 4; i++) {
        EXPECT_FALSE(f->finished);
        gk__fiber_resume(f);
        t.log[t.n++] = i;
    }
    EXPECT_TRUE(f->finished);
    ASSERT_EQ(t.n, 8);
    int want[8] = {100, 0, 101, 1, 102, 2, -1, 3};
    for (int i = 0; i < 8; i++)
        EXPECT_EQ(t.log[i], want[i]);
    EXPECT_EQ(h.alive, 1);
    gk__fiber_release(f);
    EXPECT_EQ(h.alive, 0);
    EXPECT_EQ(h.pooled, 1);
    gk__fiber_host_destroy(&h);
}

struct counter {
    long sum;
    double acc;
};

static void count_to_ten(gk_fiber *f)
{
    struct counter *c = f->arg;
    double x = 0.5; /* lives in a callee-saved or stack slot across switches */
    for (int i = 1; i <= 10; i++) {
        c->sum += i;
        x *= 2.0;
        gk__fiber_yield(f);
    }
    c->acc += x;
}

TEST(fiber_many_fibers_interleave_round_robin)
{
    enum { N = 200 };
    gk__fiber_host h;
    gk_fiber *fs[N];
    struct counter c = {0};
    gk__fiber_host_init(&h, 16 * 1024, 8);
    for (int i = 0; i < N; i++) {
        fs[i] = gk__fiber_new(&h, count_to_ten);
        ASSERT_TRUE(fs[i] != NULL);
        fs[i]->arg = &c;
    }
    int rounds = 0;
    for (bool any = true; any; rounds++) {
        any = false;
        for (int i = 0; i < N; i++) {
            if (!fs[i]->finished) {
                gk__fiber_resume(fs[i]);
                any = true;
            }
        }
    }
    EXPECT_EQ(rounds, 12); /* 10 yields, the final resume, and one pass that finds all finished */
    EXPECT_EQ(c.sum, 55L * N);
    EXPECT_EQ((long)c.acc, 512L * N);
    for (int i = 0; i < N; i++)
        gk__fiber_release(fs[i]);
    EXPECT_EQ(h.pooled, 8); /* the pool cap: the rest were unmapped */
    gk__fiber_host_destroy(&h);
}

static void set_rounding(gk_fiber *f)
{
    int *seen = f->arg;
    fesetround(FE_DOWNWARD);
    gk__fiber_yield(f);
    *seen = fegetround();
}

TEST(fiber_keeps_its_own_floating_point_rounding_mode)
{
    gk__fiber_host h;
    int seen = 0;
    gk__fiber_host_init(&h, 0, 4);
    gk_fiber *f = gk__fiber_new(&h, set_rounding);
    ASSERT_TRUE(f != NULL);
    f->arg = &seen;
    ASSERT_EQ(fegetround(), FE_TONEAREST);
    gk__fiber_resume(f);
    EXPECT_EQ(fegetround(), FE_TONEAREST); /* the fiber's change stayed on the fiber */
    gk__fiber_resume(f);
    EXPECT_EQ(seen, FE_DOWNWARD);
    EXPECT_EQ(fegetround(), FE_TONEAREST);
    gk__fiber_release(f);
    gk__fiber_host_destroy(&h);
}

struct depth {
    uintptr_t top;
    size_t want; /* bytes of stack to use */
    size_t used;
    int frames;
};

static __attribute__((noinline)) int recurse(struct depth *d, int level)
{
    volatile char pad[512];
    memset((char *)pad, level & 0xff, sizeof(pad));
    /* The frame address, not pad's: with ASan's fake stacks, locals may live off the stack. */
    size_t used = d->top - (uintptr_t)__builtin_frame_address(0);
    if (used > d->used)
        d->used = used;
    if (used < d->want)
        return recurse(d, level + 1) + pad[level % 512];
    d->frames = level;
    return pad[0];
}

static void go_deep(gk_fiber *f)
{
    struct depth *d = f->arg;
    d->top = (uintptr_t)f->stack_lo + f->stack_size;
    recurse(d, 0);
}

TEST(fiber_deep_recursion_uses_most_of_the_stack)
{
    gk__fiber_host h;
    struct depth d = {0};
    gk__fiber_host_init(&h, 256 * 1024, 4);
    gk_fiber *f = gk__fiber_new(&h, go_deep);
    ASSERT_TRUE(f != NULL);
    f->arg = &d;
    d.want = f->stack_size * 3 / 4; /* leave room for one frame and sanitizer redzones */
    gk__fiber_resume(f);
    EXPECT_TRUE(f->finished);
    EXPECT_GE(d.used, d.want);
    EXPECT_LT(d.used, f->stack_size);
    EXPECT_GT(d.frames, 100);
    gk__fiber_release(f);
    gk__fiber_host_destroy(&h);
}

static void nothing(gk_fiber *f)
{
    (void)f;
}

/* Finds the mapping that starts at lo in /proc/self/maps; fills its end and permissions. */
static bool find_mapping(uintptr_t lo, uintptr_t *hi, char perms[5])
{
    FILE *fp = fopen("/proc/self/maps", "r");
    char line[512];
    bool found = false;
    if (!fp)
        return false;
    while (fgets(line, sizeof(line), fp)) {
        unsigned long a;
        unsigned long b;
        char p[5] = {0};
        if (sscanf(line, "%lx-%lx %4s", &a, &b, p) != 3)
            continue;
        if (a == lo) {
            *hi = b;
            memcpy(perms, p, 5);
            found = true;
            break;
        }
    }
    fclose(fp);
    return found;
}

TEST(fiber_stack_has_an_inaccessible_guard_page_below_it)
{
    gk__fiber_host h;
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t hi = 0;
    char perms[5] = {0};
    gk__fiber_host_init(&h, 64 * 1024, 4);
    gk_fiber *f = gk__fiber_new(&h, nothing);
    ASSERT_TRUE(f != NULL);
    EXPECT_EQ((uintptr_t)f->stack_lo - (uintptr_t)f->map, (uintptr_t)page);
    EXPECT_EQ(f->stack_size, 64 * 1024);
    ASSERT_TRUE(find_mapping((uintptr_t)f->map, &hi, perms));
    EXPECT_EQ(hi, (uintptr_t)f->stack_lo); /* exactly one page */
    EXPECT_STREQ(perms, "---p");
    ASSERT_TRUE(find_mapping((uintptr_t)f->stack_lo, &hi, perms));
    EXPECT_STREQ(perms, "rw-p");
    EXPECT_GE(hi, (uintptr_t)f->stack_lo + f->stack_size);
    gk__fiber_resume(f);
    gk__fiber_release(f);
    gk__fiber_host_destroy(&h);
}

TEST(fiber_released_stack_is_reused_by_the_next_fiber)
{
    gk__fiber_host h;
    gk__fiber_host_init(&h, 0, 4);
    gk_fiber *a = gk__fiber_new(&h, nothing);
    ASSERT_TRUE(a != NULL);
    void *map = a->map;
    gk__fiber_resume(a);
    gk__fiber_release(a);
    gk_fiber *b = gk__fiber_new(&h, nothing);
    ASSERT_TRUE(b != NULL);
    EXPECT_TRUE(b->map == map);
    EXPECT_FALSE(b->finished);
    gk__fiber_resume(b);
    EXPECT_TRUE(b->finished);
    gk__fiber_release(b);
    gk__fiber_host_destroy(&h);
}

TEST(fiber_stack_size_rounds_up_to_pages)
{
    gk__fiber_host h;
    long page = sysconf(_SC_PAGESIZE);
    gk__fiber_host_init(&h, 5 * (size_t)page + 1, 4);
    EXPECT_EQ(h.stack_size, 6 * (size_t)page);
    gk__fiber_host_init(&h, 0, 4);
    EXPECT_EQ(h.stack_size, 64 * 1024);
}
