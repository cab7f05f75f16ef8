#include <stdint.h>

/* Put a[i] and a[j] (i < j) in order: the one comparator a sorting network is built from. */
static inline void compare_exchange(int32_t *a, int i, int j) {
    if (a[j] < a[i]) {
        int32_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

/* Sorts a[0..5) ascending with a nine-comparator network (the fewest for five inputs):
   order the pairs (0,1) and (3,4), insert a[2] into the sorted pair (3,4), which leaves the maximum of
   a[2..5) in a[4]; order (1,4), which makes a[4] the overall maximum; then insert a[0] and a[1], in turn,
   into the sorted pair (2,3). */
void sort5(int32_t *a) {
    compare_exchange(a, 0, 1);
    compare_exchange(a, 3, 4);
    compare_exchange(a, 2, 4);
    compare_exchange(a, 2, 3);
    compare_exchange(a, 1, 4);
    compare_exchange(a, 0, 3);
    compare_exchange(a, 0, 2);
    compare_exchange(a, 1, 3);
    compare_exchange(a, 1, 2);
}
