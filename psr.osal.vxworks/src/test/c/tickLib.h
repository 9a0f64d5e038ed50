/* Stand-in for tickLib.h. */
#ifndef PSR_STANDIN_TICKLIB_H
#define PSR_STANDIN_TICKLIB_H
#include "vxWorks.h"
extern UINT64 tick64Get(void);
#endif
