// expect-verdict: error
// expect-message: c_compile_error\.c:8:\d+: error
#include <stddef.h>
#include <stdint.h>

void insertion_sort(int32_t *a, size_t n)
{
    for (size_t i = 1; i < n; i++ {
        int32_t key = a[i];
    }
}
