#ifndef STOWAGE_CISAL_SHIM_H
#define STOWAGE_CISAL_SHIM_H
#include <isa-l/crc.h>
#include <isa-l/crc64.h>
#include <isa-l/erasure_code.h>
#endif
