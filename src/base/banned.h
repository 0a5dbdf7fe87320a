/* SPDX-License-Identifier: Apache-2.0 */
/* src/base/banned.h - functions we never call (git's banned.h): each is easy to misuse (no bound,
 * hidden global state, undefined behaviour on bad input, locale or time-zone dependence).
 * Include it LAST in every .c file, after all system headers; a use then fails to compile with
 * "sorry_<fn>_is_banned" undeclared. Use instead: memcpy/snprintf/gk_buf for strcpy, strcat,
 * strncpy, sprintf, vsprintf; strtol/strtoll with end and errno checks for atoi; strtok_r or a
 * hand-written scanner for strtok; gmtime_r/localtime_r for gmtime/localtime. */
#ifndef GK_BASE_BANNED_H
#define GK_BASE_BANNED_H

#define GK__BANNED(fn) sorry_##fn##_is_banned

#undef strcpy
#define strcpy(...) GK__BANNED(strcpy)
#undef strcat
#define strcat(...) GK__BANNED(strcat)
#undef strncpy
#define strncpy(...) GK__BANNED(strncpy)
#undef strncat
#define strncat(...) GK__BANNED(strncat)
#undef sprintf
#define sprintf(...) GK__BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) GK__BANNED(vsprintf)
#undef strtok
#define strtok(...) GK__BANNED(strtok)
#undef atoi
#define atoi(...) GK__BANNED(atoi)
#undef atol
#define atol(...) GK__BANNED(atol)
#undef atoll
#define atoll(...) GK__BANNED(atoll)
#undef gmtime
#define gmtime(...) GK__BANNED(gmtime)
#undef localtime
#define localtime(...) GK__BANNED(localtime)
#undef ctime
#define ctime(...) GK__BANNED(ctime)
#undef asctime
#define asctime(...) GK__BANNED(asctime)

#endif
