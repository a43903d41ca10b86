#ifndef STOWAGE_CMALLOC_SHIM_H
#define STOWAGE_CMALLOC_SHIM_H
#include <malloc.h>
#endif
