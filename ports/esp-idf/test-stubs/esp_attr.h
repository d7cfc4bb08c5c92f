#pragma once
// Stand-in for ESP-IDF's esp_attr.h (components/esp_common): IRAM_ATTR as ESP-IDF spells it, a
// section ".iram1.<n>". Linux links such a section as code like any other; the ctest
// esp_idf_isr_in_iram reads the executable's symbol table to see which functions landed there.
#define _COUNTER_STRINGIFY(COUNTER) #COUNTER
#define _SECTION_ATTR_IMPL(SECTION, COUNTER) __attribute__((section(SECTION "." _COUNTER_STRINGIFY(COUNTER))))
#define IRAM_ATTR _SECTION_ATTR_IMPL(".iram1", __COUNTER__)
