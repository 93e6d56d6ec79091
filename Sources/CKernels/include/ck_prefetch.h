#ifndef CK_PREFETCH_H
#define CK_PREFETCH_H
/* Software prefetch hints for graph walks, inlined into the Swift caller (no call, no effect on
 * results). `ck_prefetch` asks for the cache line holding `p` in all cache levels. */
static inline void ck_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }
#endif
