// origin: human
// algorithm: binary insertion
// note: the compiler input for binary insertion sort, written as a careful C programmer would, by the
// note: engineer who added the kernel's algorithms (by hand, not generated), to pair with the variants
// note: that search for the insertion point. For each key, a binary search over the sorted prefix finds
// note: the first element greater than the key (equal keys keep their order), then the tail of the prefix
// note: moves up one slot. The move is written as a rotation carrying one value rather than as a backward
// note: copy loop: gcc -O3 turns such a copy loop into a call to memmove, and the routes that run the
// note: function's bytes alone (Unicorn) and the freestanding wasm builds have no libc to call.
#include <stddef.h>
#include <stdint.h>

void insertion_sort(int32_t *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        int32_t key = a[i];
        size_t lo = 0, hi = i;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (a[mid] > key)
                hi = mid;
            else
                lo = mid + 1;
        }
        // a[lo..i] rotated up by one: each slot takes the value that was below it, a[lo] takes the key.
        int32_t carry = key;
        for (size_t j = lo; j <= i; j++) {
            int32_t displaced = a[j];
            a[j] = carry;
            carry = displaced;
        }
    }
}
