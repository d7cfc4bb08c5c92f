#pragma once

namespace malloc_counter {
extern volatile unsigned g_mallocs;  ///< calls of malloc since reset
extern volatile unsigned g_frees;    ///< calls of free (non-null) since reset
}  // namespace malloc_counter
