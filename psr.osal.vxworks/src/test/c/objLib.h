/* Stand-in for objLib.h: the status codes semTake sets on timeout (placeholder values). */
#ifndef PSR_STANDIN_OBJLIB_H
#define PSR_STANDIN_OBJLIB_H
#define S_objLib_OBJ_UNAVAILABLE 0x3d0002
#define S_objLib_OBJ_TIMEOUT 0x3d0004
#endif
