/* lib/base/rng.c — xoshiro256** seeded by splitmix64. See rng.h. */
#include "lib/base/rng.h"

#include <math.h>
#include <string.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void aia_rng_seed(aia_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

void aia_rng_derive(aia_rng *r, uint64_t seed, uint64_t stream)
{
    /* Mixing the stream index through splitmix64 before combining keeps
     * neighbouring streams (tree 1, tree 2) unrelated. */
    uint64_t x = stream;
    aia_rng_seed(r, seed ^ splitmix64(&x));
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t aia_rng_next(aia_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double aia_rng_uniform(aia_rng *r)
{
    return (double)(aia_rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t aia_rng_below(aia_rng *r, uint64_t n)
{
    /* Lemire: multiply into 128 bits, reject the few low products that
     * would make some results more likely than others. */
    unsigned __int128 m = (unsigned __int128)aia_rng_next(r) * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = (0 - n) % n;
        while (low < threshold) {
            m = (unsigned __int128)aia_rng_next(r) * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double aia_rng_normal(aia_rng *r)
{
    double u, v, s;
    do {
        u = 2.0 * aia_rng_uniform(r) - 1.0;
        v = 2.0 * aia_rng_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    return u * sqrt(-2.0 * log(s) / s); /* the pair's second value is dropped: no hidden state */
}

void aia_rng_shuffle(aia_rng *r, void *base, size_t n, size_t size)
{
    unsigned char *p = base, tmp[64];
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)aia_rng_below(r, i);
        if (j == i - 1) continue;
        unsigned char *a = p + (i - 1) * size, *b = p + j * size;
        for (size_t off = 0; off < size; off += sizeof tmp) { /* any element size, no allocation */
            size_t k = size - off < sizeof tmp ? size - off : sizeof tmp;
            memcpy(tmp, a + off, k);
            memcpy(a + off, b + off, k);
            memcpy(b + off, tmp, k);
        }
    }
}
