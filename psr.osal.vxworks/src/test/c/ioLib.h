/* Stand-in for ioLib.h: the FIO* requests (values are placeholders; the real header defines them). */
#ifndef PSR_STANDIN_IOLIB_H
#define PSR_STANDIN_IOLIB_H
#include "vxWorks.h"
#define FIOFLUSH 2
#define FIOSYNC 21
#define FIOCOMMITFS 0x7d0
extern int ioctl(int fd, int function, ...);
#endif
