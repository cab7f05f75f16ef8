// origin: human
// prompt: written by hand as a test fixture for the checker; wrong on purpose (tests/test_wrong_variants.py)
// kernel: sort4
//
// Sorts right, then writes the results back as sign-extended 64-bit values from the top down
// (memcpy, so the stores are defined): each store's upper half (0 or -1) overwrites the element
// above it after it was written.
#include <stdint.h>
#include <string.h>

static void cx(int32_t *a, int i, int j) {
    if (a[j] < a[i]) {
        int32_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

void sort4(int32_t *a) {
    cx(a, 0, 1);
    cx(a, 2, 3);
    cx(a, 0, 2);
    cx(a, 1, 3);
    cx(a, 1, 2);
    for (int i = 2; i >= 0; i--) {
        int64_t wide = a[i];
        memcpy(&a[i], &wide, sizeof wide);
    }
}
