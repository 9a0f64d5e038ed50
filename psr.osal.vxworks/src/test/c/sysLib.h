/* Stand-in for sysLib.h. */
#ifndef PSR_STANDIN_SYSLIB_H
#define PSR_STANDIN_SYSLIB_H
extern int sysClkRateGet(void);
#endif
