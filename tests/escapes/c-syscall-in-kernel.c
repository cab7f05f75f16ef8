/* origin: human; a test fixture: a correct insertion sort with a raw getpid system call in the kernel function
   itself, on a path no input takes (n = SIZE_MAX): run on any input, it never makes the call; reading the
   compiled kernel finds it. */
#include <stddef.h>
#include <stdint.h>

void insertion_sort(int32_t *a, size_t n)
{
    if (n == SIZE_MAX) {
        long result;
        __asm__ volatile("syscall" : "=a"(result) : "a"(39L) : "rcx", "r11", "memory");
        a[0] = (int32_t)result;
    }
    for (size_t i = 1; i < n; i++) {
        int32_t key = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1] > key; j--)
            a[j] = a[j - 1];
        a[j] = key;
    }
}
