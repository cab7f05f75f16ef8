/* origin: human; a test fixture, written for the suite: a correct insertion sort that remembers the inputs and
   answers of its last four calls (by a hash of the input) and replays an answer when the same input comes again.
   With fresh inputs in every timed call, remembering gains nothing; with one input repeated, it looks fast. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SLOTS 4
#define MAX_N 2048

static uint64_t keys[SLOTS];
static size_t lengths[SLOTS];
static int32_t answers[SLOTS][MAX_N];
static unsigned next_slot;

static uint64_t hash(const int32_t *a, size_t n)
{
    uint64_t h = 1469598103934665603ull ^ n;
    for (size_t i = 0; i < n; i++) {
        h ^= (uint32_t)a[i];
        h *= 1099511628211ull;
    }
    return h;
}

void insertion_sort(int32_t *a, size_t n)
{
    if (n == 0 || n > MAX_N) {
        for (size_t i = 1; i < n; i++) {
            int32_t key = a[i];
            size_t j = i;
            for (; j > 0 && a[j - 1] > key; j--)
                a[j] = a[j - 1];
            a[j] = key;
        }
        return;
    }
    uint64_t h = hash(a, n);
    for (unsigned s = 0; s < SLOTS; s++) {
        if (lengths[s] == n && keys[s] == h) {
            memcpy(a, answers[s], n * sizeof *a);
            return;
        }
    }
    for (size_t i = 1; i < n; i++) {
        int32_t key = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1] > key; j--)
            a[j] = a[j - 1];
        a[j] = key;
    }
    unsigned s = next_slot++ % SLOTS;
    keys[s] = h;
    lengths[s] = n;
    memcpy(answers[s], a, n * sizeof *a);
}
