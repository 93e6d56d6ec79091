#ifndef CKERNELS_H
#define CKERNELS_H
/* Distance kernels compiled for several x86-64 levels (see kernels.c); placeholder until filled. */
int ckernels_level(void);
#endif
