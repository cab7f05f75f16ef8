#include <stdint.h>

/* Put a[i] and a[j] (i < j) in order: the one comparator a sorting network is built from. */
static inline void compare_exchange(int32_t *a, int i, int j) {
    if (a[j] < a[i]) {
        int32_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

/* Sorts a[0..3) ascending with the three-comparator network: the last two elements first, then the
   first element is moved past whichever of them is smaller than it. */
void sort3(int32_t *a) {
    compare_exchange(a, 1, 2);
    compare_exchange(a, 0, 2);
    compare_exchange(a, 0, 1);
}
