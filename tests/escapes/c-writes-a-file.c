/* origin: human; a test fixture: a correct insertion sort that also opens and writes a file. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

void insertion_sort(int32_t *a, size_t n)
{
    int fd = open("/tmp/arena-escape-c", O_CREAT | O_WRONLY | O_APPEND, 0644);
    write(fd, "x", 1);
    close(fd);
    for (size_t i = 1; i < n; i++) {
        int32_t key = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1] > key; j--)
            a[j] = a[j - 1];
        a[j] = key;
    }
}
