// origin: human
// prompt: written by hand as a test fixture for the checker; wrong on purpose (tests/test_wrong_variants.py)
// kernel: sort4
//
// The sort4 network, each swap decided by the sign of a wrapping 32-bit difference (computed in
// uint32_t, so the wrap is defined and no compiler may turn it back into a compare): wrong only
// where the subtraction overflows.
#include <stdint.h>

static void cx(int32_t *a, int i, int j) {
    int32_t d = (int32_t)((uint32_t)a[i] - (uint32_t)a[j]);
    if (d > 0) {
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
}
