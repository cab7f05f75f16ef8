// origin: human
// note: the compiler input for adler32, written as a careful C programmer would: zlib's Adler-32
// note: with the modulo deferred. Both sums stay below 2^32 for NMAX = 5552 bytes even when every
// note: byte is 0xFF (5552 is the largest n with 255 n (n + 1) / 2 + (n + 1) (65521 - 1) < 2^32),
// note: so they are reduced once per block of NMAX bytes instead of once per byte.
#include <stddef.h>
#include <stdint.h>

#define ADLER_BASE 65521u
#define ADLER_NMAX 5552

uint32_t adler32(const uint8_t *p, size_t n)
{
    uint32_t a = 1;
    uint32_t b = 0;
    while (n > 0) {
        size_t block = n < ADLER_NMAX ? n : ADLER_NMAX;
        n -= block;
        for (size_t i = 0; i < block; i++) {
            a += p[i];
            b += a;
        }
        p += block;
        a %= ADLER_BASE;
        b %= ADLER_BASE;
    }
    return (b << 16) | a;
}
