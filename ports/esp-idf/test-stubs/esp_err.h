#pragma once
// Stand-in for ESP-IDF's esp_err.h (components/esp_common), only what the port uses, with the
// same names, types and values: lets ports/esp-idf/src compile on Linux to catch typos. Not a
// fake of ESP-IDF's behaviour.
#include <stdint.h>

typedef int esp_err_t;

#define ESP_OK 0
#define ESP_FAIL -1
#define ESP_ERR_NO_MEM 0x101
#define ESP_ERR_INVALID_ARG 0x102
#define ESP_ERR_INVALID_STATE 0x103
