/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CKPT_BANNED_H
#define CKPT_BANNED_H
/*
 * Functions that overflow buffers or truncate silently: using one is a
 * compile error. Use snprintf/xasprintf and memcpy with explicit sizes.
 */
#include <string.h>
#include <stdio.h>
#define BANNED(f) sorry_##f##_is_banned
#undef strcpy
#define strcpy(a, b) BANNED(strcpy)
#undef strcat
#define strcat(a, b) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef gets
#define gets(a) BANNED(gets)
#endif
