// origin: human
// note: the compiler input for dot_i32, written as a careful C programmer would. Each product of two
// note: int32 values fits in int64 exactly; the running sum is kept in uint64_t so that wrapping
// note: modulo 2^64 is defined behaviour, and converted to int64_t once at the end.
#include <stddef.h>
#include <stdint.h>

int64_t dot_i32(const int32_t *a, const int32_t *b, size_t n)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t product = (int64_t)a[i] * (int64_t)b[i];
        sum += (uint64_t)product;
    }
    return (int64_t)sum;
}
