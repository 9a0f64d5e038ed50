/* Stand-in for inetLib.h. */
#ifndef PSR_STANDIN_INETLIB_H
#define PSR_STANDIN_INETLIB_H
#define INET_ADDR_LEN 18
#endif
