/* Stand-in for errnoLib.h. */
#ifndef PSR_STANDIN_ERRNOLIB_H
#define PSR_STANDIN_ERRNOLIB_H
extern int errnoGet(void);
#endif
