// origin: human
// prompt: written by hand as a test fixture for the checker; wrong on purpose (tests/test_wrong_variants.py)
// kernel: sort4
//
// Branch-free comparators by the bit trick min = y + (d & (d >> 31)), d = x - y, in wrapping
// 32-bit arithmetic: where x - y overflows, the "minimum" and "maximum" are values that were never
// in the input.
#include <stdint.h>

static void cx(int32_t *a, int i, int j) {
    uint32_t x = (uint32_t)a[i], y = (uint32_t)a[j];
    uint32_t d = x - y;
    uint32_t below = (uint32_t)((int32_t)d >> 31);
    a[i] = (int32_t)(y + (d & below));
    a[j] = (int32_t)(x - (d & below));
}

void sort4(int32_t *a) {
    cx(a, 0, 1);
    cx(a, 2, 3);
    cx(a, 0, 2);
    cx(a, 1, 3);
    cx(a, 1, 2);
}
