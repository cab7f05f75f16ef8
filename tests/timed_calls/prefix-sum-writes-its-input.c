/* origin: human
   note: a right prefix sum (result and output) that then flips a bit of src[n-1], an array it may only read. */
#include <stddef.h>
#include <stdint.h>

uint32_t prefix_sum(const uint8_t *src, int32_t *dst, size_t n)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += src[i];
        dst[i] = (int32_t)sum;
    }
    if (n)
        ((uint8_t *)src)[n - 1] ^= 1;
    return sum;
}
