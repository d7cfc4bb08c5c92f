#pragma once
// Stand-in for ESP-IDF's esp_vfs_eventfd.h (components/vfs): the same declarations, flag value and
// configuration struct (ESP-IDF v5.x), so that the port compiles on Linux exactly as it is.
#include <stddef.h>
#include <sys/types.h>

#include "esp_err.h"

#define EFD_SUPPORT_ISR (1 << 4)

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    size_t max_fds;
} esp_vfs_eventfd_config_t;

esp_err_t esp_vfs_eventfd_register(const esp_vfs_eventfd_config_t* config);
esp_err_t esp_vfs_eventfd_unregister(void);
int eventfd(unsigned int initval, int flags);

#ifdef __cplusplus
}
#endif
