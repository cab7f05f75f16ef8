// expect-verdict: error
// expect-message: sorts long elements; the kernel's are signed 32-bit ints
void insertion_sort(long *a, long n)
{
    for (long i = 1; i < n; i++) {
        long key = a[i], j = i;
        while (j > 0 && a[j - 1] > key) { a[j] = a[j - 1]; j--; }
        a[j] = key;
    }
}
