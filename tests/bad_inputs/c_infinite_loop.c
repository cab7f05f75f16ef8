// expect-verdict: fail
// expect-message: did not return within
#include <stddef.h>
#include <stdint.h>

void insertion_sort(int32_t *a, size_t n)
{
    /* j is unsigned, so j >= 0 always holds: the loop never ends once it reaches j = 0 */
    for (size_t i = 1; i < n; i++) {
        int32_t key = a[i];
        for (volatile size_t j = i; j >= 0; j--) {
            if (j == 0 || a[j - 1] <= key) { a[j] = key; j = 1; continue; }
            a[j] = a[j - 1];
        }
    }
}
