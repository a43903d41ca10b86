#ifndef STOWAGE_CSQLITE_SHIM_H
#define STOWAGE_CSQLITE_SHIM_H
#include <sqlite3.h>
// SQLITE_TRANSIENT is a macro Swift cannot import.
static inline void (*stowage_sqlite_transient(void))(void *) { return SQLITE_TRANSIENT; }
#endif
