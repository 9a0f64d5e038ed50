/* Stand-in for semLib.h. */
#ifndef PSR_STANDIN_SEMLIB_H
#define PSR_STANDIN_SEMLIB_H
#include "vxWorks.h"
typedef struct psrStandInSemaphore *SEM_ID;
typedef enum { SEM_EMPTY, SEM_FULL } SEM_B_STATE;
#define SEM_ID_NULL ((SEM_ID) 0)
#define SEM_Q_FIFO 0x00
#define SEM_Q_PRIORITY 0x01
#define SEM_DELETE_SAFE 0x04
#define SEM_INVERSION_SAFE 0x08
extern SEM_ID semMCreate(int options);
extern SEM_ID semBCreate(int options, SEM_B_STATE initialState);
extern STATUS semTake(SEM_ID semId, _Vx_ticks_t timeout);
extern STATUS semGive(SEM_ID semId);
extern STATUS semDelete(SEM_ID semId);
#endif
