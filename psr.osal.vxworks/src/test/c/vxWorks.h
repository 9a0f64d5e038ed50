/* Stand-in for the VxWorks SDK's vxWorks.h: only what psr_vxkernel.c uses, for compiling it on a build host. */
#ifndef PSR_STANDIN_VXWORKS_H
#define PSR_STANDIN_VXWORKS_H
#include <stddef.h>
#include <stdint.h>
typedef int STATUS;
typedef int BOOL;
typedef uint64_t UINT64;
typedef intptr_t _Vx_usr_arg_t;
typedef intptr_t _Vx_ioctl_arg_t;
typedef int _Vx_ticks_t;
typedef int (*FUNCPTR)();
#define OK 0
#define ERROR (-1)
#define WAIT_FOREVER (-1)
#define NO_WAIT 0
#endif
