/* origin: human
   note: a dot product that is right except when the low byte of a[0] is 0x5A (about one call in 256): a
   variant wrong on a few calls of a round, anywhere in it, not only on its last. */
#include <stddef.h>
#include <stdint.h>

int64_t dot_i32(const int32_t *a, const int32_t *b, size_t n)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (uint64_t)((int64_t)a[i] * b[i]);
    if (n && (a[0] & 0xFF) == 0x5A)
        sum += 1;
    return (int64_t)sum;
}
