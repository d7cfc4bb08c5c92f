#pragma once
// Stand-in for ESP-IDF's esp_timer.h (components/esp_timer): the declaration the port uses.
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Microseconds since the chip started.
int64_t esp_timer_get_time(void);

#ifdef __cplusplus
}
#endif
