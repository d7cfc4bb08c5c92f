#pragma once
// What the start-up code tells the program about its memory.

#include <cstddef>

namespace board {

/// Bytes reserved for the main stack (the linker script's __stack_size).
std::size_t stack_size() noexcept;
/// Deepest the stack has been since reset, in bytes (the stack is painted at reset).
std::size_t stack_high_water() noexcept;
/// Bytes of RAM on the board (the linker script's RAM region).
std::size_t ram_size() noexcept;
/// Bytes of RAM taken by .data, .tdata, .tbss and .bss.
std::size_t static_ram_size() noexcept;
/// Bytes between the end of .bss and the stack: all malloc can ever have.
std::size_t heap_size() noexcept;

}  // namespace board
