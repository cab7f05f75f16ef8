// expect-verdict: fail
// expect-message: wrong answer
#include <stddef.h>
#include <stdint.h>

/* compares as unsigned, so negative numbers sort after positive ones */
void insertion_sort(int32_t *a, size_t n)
{
    uint32_t *u = (uint32_t *)a;
    for (size_t i = 1; i < n; i++) {
        uint32_t key = u[i];
        size_t j = i;
        while (j > 0 && u[j - 1] > key) {
            u[j] = u[j - 1];
            j--;
        }
        u[j] = key;
    }
}
