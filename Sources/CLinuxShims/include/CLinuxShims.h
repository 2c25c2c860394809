// Thin wrappers over Linux calls that Swift's Glibc module does not import cleanly
// (GNU-only declarations, macros). Nothing here holds logic.
#pragma once
#include <stddef.h>
#include <sys/types.h>

/// getrandom(2) from the kernel's pool, blocking only until it is initialised at boot.
/// Returns bytes written (≤ len; short only for len > 256 or on a signal), -1 with errno.
ssize_t gw_getrandom(void *buf, size_t len);
/// tee(2): duplicate up to len bytes from pipe fd_in into pipe fd_out without consuming them.
/// Returns bytes duplicated, 0 on EOF, -1 with errno (EAGAIN when nothing is buffered).
ssize_t gw_tee_nonblock(int fd_in, int fd_out, size_t len);
/// pipe2(2) with O_CLOEXEC | O_NONBLOCK.
int gw_pipe_nonblock(int fds[2]);
/// eventfd(2), nonblocking, close-on-exec.
int gw_eventfd(void);
/// Put a tty in raw mode at a baud rate (cfmakeraw, 8N1, receiver on, no modem control).
/// Returns 0, or -1 with errno; -2 when the baud rate is not one termios knows.
int gw_tty_make_raw(int fd, int baud);
/// FIONREAD: bytes waiting to be read.
int gw_bytes_available(int fd);
/// F_SETPIPE_SZ: set a pipe's capacity. Returns the new size or -1.
int gw_set_pipe_size(int fd, int size);

/// evdev ioctls (their request numbers are macros Swift cannot import).
int gw_evdev_grab(int fd, int on);
int gw_evdev_name(int fd, char *buf, int len);
int gw_evdev_phys(int fd, char *buf, int len);
int gw_evdev_uniq(int fd, char *buf, int len);
int gw_evdev_id(int fd, unsigned short *bustype, unsigned short *vendor, unsigned short *product, unsigned short *version);
/// EVIOCSCLOCKID(CLOCK_MONOTONIC): event timestamps on the monotonic clock.
int gw_evdev_monotonic(int fd);
/// EVIOCGBIT(EV_KEY): 1 when the device reports key events for KEY_A..KEY_Z and KEY_ENTER.
int gw_evdev_is_keyboard(int fd);
/// CLOCK_MONOTONIC in microseconds (the clock evdev timestamps are on after gw_evdev_monotonic).
unsigned long long gw_monotonic_micros(void);

/// hidraw ioctls.
int gw_hidraw_descriptor(int fd, unsigned char *buf, int cap);
int gw_hidraw_info(int fd, unsigned int *bustype, short *vendor, short *product);
int gw_hidraw_name(int fd, char *buf, int len);

/// Memory footprint (docs/performance.md, "Footprint").
/// Drops this process's page-table entries for the read-only segments (code, read-only data:
/// MADV_DONTNEED) of the program and of every shared library loaded from a file (libc,
/// libstdc++, libsqlite3, libm, the dynamic linker; not the vDSO). Their pages are the files'
/// own, never written, so what is used again is mapped again from the page cache, unchanged;
/// start-up code that is not used again stops counting in RSS. Returns the bytes advised.
long gw_release_executable_pages(void);
/// sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0): SQLite stops counting its allocations, which it
/// does under one process-wide mutex on every malloc and free (Debian builds SQLite with memory
/// statistics on and serialized). Only before the first connection; SQLITE_OK (0) or
/// SQLITE_MISUSE (21) when SQLite is already initialised.
int gw_sqlite_disable_memstatus(void);
/// mallopt(M_ARENA_MAX, n): at most n malloc arenas (glibc makes up to 8 per core otherwise).
int gw_malloc_arena_max(int n);
/// malloc_trim(0): give free heap pages back to the kernel, in every arena.
int gw_malloc_trim(void);
/// VmRSS in bytes, from /proc/self/statm; 0 when it cannot be read.
long gw_resident_bytes(void);
