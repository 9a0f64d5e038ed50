/* Stand-in for ifLib.h. */
#ifndef PSR_STANDIN_IFLIB_H
#define PSR_STANDIN_IFLIB_H
#include "vxWorks.h"
extern STATUS ifAddrGet(char *interfaceName, char *interfaceAddress);
extern STATUS ifFlagGet(char *interfaceName, int *flags);
#endif
