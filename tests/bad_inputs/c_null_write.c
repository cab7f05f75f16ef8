// expect-verdict: fail
// expect-message: crashed with SIGSEGV
#include <stddef.h>
#include <stdint.h>

void insertion_sort(int32_t *a, size_t n)
{
    volatile int32_t *nowhere = 0;
    if (n > 1)
        *nowhere = a[0];
}
