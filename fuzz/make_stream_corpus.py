#!/usr/bin/env python3
"""Writes the seed corpus of the stream_readline fuzzer (fuzz/corpus/stream_readline/).

Each seed is a script in the encoding stream_script.hpp describes: the reader's limit, then what
the peer sends and what the reader asks for. Run it again after changing the encoding:
    python3 fuzz/make_stream_corpus.py
"""

import pathlib

DEFAULT_LIMIT = 0xF0  # byte 0 >= 240: Stream::kDefaultLimit (64 KiB)
CANCEL = 0x10         # on a read step: cancel it when it starves after N deliveries (N in bits 5-6)
WIDE = 0x80           # the count takes two bytes (little-endian)


def limit(n):
    """Byte 0 for a limit of n (1..48)."""
    assert 1 <= n <= 48
    return bytes([n - 1])


def queue(data):
    """A chunk the peer sends when the reader starves."""
    data = data.encode() if isinstance(data, str) else data
    assert 0 < len(data) <= 255
    return bytes([0, len(data)]) + data


def bulk(unit, repeats):
    """A queued chunk of repeats * 64 bytes (1..256) repeating `unit` (1..8 bytes)."""
    unit = unit.encode()
    assert 1 <= len(unit) <= 8 and 1 <= repeats <= 256
    return bytes([1, len(unit) - 1]) + unit + bytes([repeats - 1])


def send(data):
    """A chunk the peer sends at once, before the next read."""
    data = data.encode() if isinstance(data, str) else data
    assert 0 < len(data) <= 255
    return bytes([2, len(data)]) + data


EOF = bytes([3])


def cancel_bits(cancel_after):
    return 0 if cancel_after is None else CANCEL | (cancel_after << 5)


def readline(cancel_after=None):
    return bytes([4 | cancel_bits(cancel_after)])


def readuntil(separator, cancel_after=None):
    separator = separator.encode()
    assert len(separator) <= 4
    return bytes([5 | cancel_bits(cancel_after), len(separator)]) + separator


def count_step(opcode, n, cancel_after=None):
    flags = cancel_bits(cancel_after)
    if n > 255 or (opcode == 7 and n == 255):
        return bytes([opcode | flags | WIDE, n & 0xFF, n >> 8])
    return bytes([opcode | flags, n])


def readexactly(n, cancel_after=None):
    return count_step(6, n, cancel_after)


def read(n=None, cancel_after=None):
    """read(n); read() without n reads to EOF."""
    if n is None:
        return bytes([7 | cancel_bits(cancel_after), 255])
    return count_step(7, n, cancel_after)


def consume(n):
    return count_step(8, n)


def set_limit(n):
    assert n >= 1
    return count_step(9, n - 1)


SEEDS = {
    # readline
    "lines_one_chunk": [
        limit(48), queue("a\nbb\n\nccc"), readline(), readline(), readline(), readline(),
        readline(),
    ],
    "lines_split_everywhere": [
        limit(48), *[queue(c) for c in "ab\ncd\n"], readline(), readline(), readline(),
    ],
    "line_at_eof_unterminated": [limit(48), queue("tail without newline"), readline(), readline()],
    "crlf_lines": [
        limit(48), queue("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), readline(), readline(), readline(),
    ],
    "empty_stream": [limit(8), readline(), read(5), readexactly(0)],
    # the limit
    "line_exactly_at_limit": [limit(10), queue("0123456789\n"), readline()],
    "line_one_past_limit": [limit(10), queue("0123456789X\n"), readline(), consume(12), readline()],
    "line_over_limit_in_pieces": [
        limit(4), queue("abc"), queue("defgh"), queue("ij\nk\n"), readline(), consume(11),
        readline(),
    ],
    "overrun_then_read_rest": [limit(3), queue("toolong\nok\n"), readline(), read(7), readline()],
    "overrun_then_readexactly": [
        limit(2), queue("xxxxx\nyy\n"), readuntil("\n"), readexactly(6), readline(),
    ],
    "raise_limit_after_overrun": [
        limit(3), queue("abcdef\n"), readline(), set_limit(40), readline(),
    ],
    "lower_limit_midway": [
        limit(48), queue("one\ntwo is longer\n"), readline(), set_limit(2), readline(), consume(64),
    ],
    "default_limit_big_line": [
        bytes([DEFAULT_LIMIT]), bulk("x", 256), bulk("y", 256), queue("\nend\n"), readline(),
        readline(),
    ],
    "default_limit_overrun": [
        bytes([DEFAULT_LIMIT]), *[bulk("01234567", 256) for _ in range(5)], readline(),
        consume(65535), read(),
    ],
    # readuntil, separators longer than one byte at the limit's edge
    "readuntil_crlfcrlf": [
        limit(48), queue("GET / HT"), queue("TP/1.1\r\nHost: x\r\n\r"), queue("\nBODY"),
        readuntil("\r\n\r\n"), readexactly(4),
    ],
    "readuntil_sep_split_at_limit": [
        limit(4), queue("xxxx\r"), queue("\nrest"), readuntil("\r\n"), read(),
    ],
    "readuntil_sep_whole_at_limit": [limit(4), queue("xxxx\r\nrest"), readuntil("\r\n"), read()],
    "readuntil_sep_beyond_limit": [limit(4), queue("xxxxx\r\n"), readuntil("\r\n"), read(3)],
    "readuntil_partial_sep_at_eof": [
        limit(8), queue("abc\r"), readuntil("\r\n"), readuntil("\r\n"),
    ],
    "readuntil_overlapping_sep": [
        limit(20), queue("aaab"), queue("aab"), readuntil("aab"), readuntil("aab"),
    ],
    "readuntil_empty_separator": [limit(8), queue("abc"), bytes([5, 0]), read()],
    "readuntil_four_byte_sep": [
        limit(16), queue("ab--"), queue("=="), queue("--==cd"), readuntil("--=="),
        readuntil("--=="),
    ],
    # readexactly and read
    "readexactly_across_chunks": [
        limit(8), queue("abc"), queue("defgh"), queue("ij"), readexactly(5), readexactly(5),
    ],
    "readexactly_incomplete": [limit(8), queue("abc"), readexactly(10), readexactly(1)],
    "readexactly_large": [
        limit(8), bulk("01234567", 200), bulk("z", 100), readexactly(20000), read(),
    ],
    "read_small_pieces": [limit(8), queue("hello world"), read(5), read(100), read(0), read(3)],
    "read_to_eof": [limit(8), queue("one "), queue("two "), queue("three"), read()],
    "read_after_eof": [limit(8), queue("x"), EOF, read(), read(4), readline(), readexactly(0)],
    # the peer sending before the reader asks (segments arrive together)
    "sent_ahead_coalesced": [
        limit(48), send("a\nb"), send("\nc\n"), readline(), readline(), readline(),
    ],
    "sent_ahead_then_eof": [limit(48), send("last line"), EOF, readline(), readline()],
    "sent_ahead_and_queued": [
        limit(6), send("ab"), queue("cd\nef"), send("zz"), readline(), readline(), read(),
    ],
    # the in-place buffer API
    "consume_between_reads": [
        limit(16), queue("abc\ndef\n"), readexactly(1), consume(2), readline(), consume(1),
        readline(),
    ],
    # cancellation while a read waits: nothing consumed
    "cancel_readline_waiting": [
        limit(16), queue("par"), queue("tial\n"), readline(cancel_after=1), readline(),
    ],
    "cancel_readuntil_at_once": [
        limit(16), send("ab"), readuntil("\r\n", cancel_after=0), queue("c\r\n"), readuntil("\r\n"),
    ],
    "cancel_readexactly": [
        limit(16), queue("12"), queue("34"), queue("56"), readexactly(6, cancel_after=2),
        readexactly(6),
    ],
    "cancel_read_to_eof": [limit(16), queue("a"), queue("b"), read(cancel_after=1), read()],
}


def main():
    out = pathlib.Path(__file__).resolve().parent / "corpus" / "stream_readline"
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():
        old.unlink()
    for name, steps in SEEDS.items():
        (out / name).write_bytes(b"".join(steps))
    print(f"{len(SEEDS)} seeds in {out}")


if __name__ == "__main__":
    main()
