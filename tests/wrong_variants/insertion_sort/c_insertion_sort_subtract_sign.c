// origin: human
// prompt: written by hand as a test fixture for the checker; wrong on purpose (tests/test_wrong_variants.py)
//
// Insertion sort that shifts while the wrapping 32-bit difference a[j-1] - key is positive
// (computed in uint32_t, so the wrap is defined): right until the subtraction overflows.
#include <stddef.h>
#include <stdint.h>

void insertion_sort(int32_t *a, size_t n) {
    for (size_t i = 1; i < n; i++) {
        int32_t key = a[i];
        size_t j = i;
        while (j > 0 && (int32_t)((uint32_t)a[j - 1] - (uint32_t)key) > 0) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = key;
    }
}
