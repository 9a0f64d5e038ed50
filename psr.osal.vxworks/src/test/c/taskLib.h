/* Stand-in for taskLib.h. */
#ifndef PSR_STANDIN_TASKLIB_H
#define PSR_STANDIN_TASKLIB_H
#include "vxWorks.h"
typedef struct psrStandInTask *TASK_ID;
#define TASK_ID_ERROR ((TASK_ID) -1)
#define VX_FP_TASK 0x0008
extern TASK_ID taskSpawn(char *name, int priority, int options, size_t stackSize, FUNCPTR entryPt,
        _Vx_usr_arg_t arg1, _Vx_usr_arg_t arg2, _Vx_usr_arg_t arg3, _Vx_usr_arg_t arg4, _Vx_usr_arg_t arg5,
        _Vx_usr_arg_t arg6, _Vx_usr_arg_t arg7, _Vx_usr_arg_t arg8, _Vx_usr_arg_t arg9, _Vx_usr_arg_t arg10);
extern TASK_ID taskIdSelf(void);
extern STATUS taskPriorityGet(TASK_ID tid, int *pPriority);
extern STATUS taskPrioritySet(TASK_ID tid, int newPriority);
extern STATUS taskDelay(_Vx_ticks_t ticks);
#endif
