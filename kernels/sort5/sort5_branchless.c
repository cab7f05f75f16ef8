#include <stdint.h>

/* Branchless style: every step computes both outcomes of a comparison and selects between them, so the
   code has no data-dependent branch to mispredict on random input. The selects are written as ?: on one
   comparison result, which gcc and clang turn into cmov (x86-64) or select (wasm). */

/* Afterwards *x <= *y. */
static inline void swap_if_greater(int32_t *x, int32_t *y) {
    int32_t lo = *x, hi = *y;
    int greater = lo > hi;
    *x = greater ? hi : lo;
    *y = greater ? lo : hi;
}

/* Sorts *x, *y, *z given that *y <= *z already holds: two comparisons instead of a network's three.
   The incoming value first meets the larger of the pair: the greater of the two is the maximum of all
   three. The lesser then meets the smaller of the pair, which orders the remaining two. */
static inline void insert_into_sorted_pair(int32_t *x, int32_t *y, int32_t *z) {
    int32_t v = *x, lo = *y, hi = *z;
    int above = v > hi;
    int32_t rest = above ? hi : v;
    *z = above ? v : hi;
    int below = rest < lo;
    *x = below ? rest : lo;
    *y = below ? lo : rest;
}

/* Sorts a[0..5) ascending: order (0,1) and (3,4); place a[2] into (3,4), which puts the largest of a[2..5) in a[4];
   order (1,4), making a[4] the maximum of all; then place a[0], and after it a[1], into the ordered pair
   (2,3). Nine comparisons in all, none of them a branch. */
void sort5(int32_t *a) {
    swap_if_greater(&a[0], &a[1]);
    swap_if_greater(&a[3], &a[4]);
    insert_into_sorted_pair(&a[2], &a[3], &a[4]);
    swap_if_greater(&a[1], &a[4]);
    insert_into_sorted_pair(&a[0], &a[2], &a[3]);
    insert_into_sorted_pair(&a[1], &a[2], &a[3]);
}
