#include <stdint.h>

/* Put a[i] and a[j] (i < j) in order: the one comparator a sorting network is built from. */
static inline void compare_exchange(int32_t *a, int i, int j) {
    if (a[j] < a[i]) {
        int32_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

/* Sorts a[0..4) ascending with the optimal five-comparator network: sort the two pairs, merge their
   minima and their maxima, then order the two middle elements. */
void sort4(int32_t *a) {
    compare_exchange(a, 0, 1);
    compare_exchange(a, 2, 3);
    compare_exchange(a, 0, 2);
    compare_exchange(a, 1, 3);
    compare_exchange(a, 1, 2);
}
