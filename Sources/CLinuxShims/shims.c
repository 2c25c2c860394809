#define _GNU_SOURCE
#include "CLinuxShims.h"
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include <link.h>
#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>
#include <stdio.h>
#include <sqlite3.h>
#include <sys/random.h>

ssize_t gw_getrandom(void *buf, size_t len) {
    return getrandom(buf, len, 0);
}

ssize_t gw_tee_nonblock(int fd_in, int fd_out, size_t len) {
    return tee(fd_in, fd_out, len, SPLICE_F_NONBLOCK);
}

int gw_pipe_nonblock(int fds[2]) {
    return pipe2(fds, O_CLOEXEC | O_NONBLOCK);
}

int gw_eventfd(void) {
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

static speed_t speed_for(int baud) {
    switch (baud) {
    case 1200: return B1200;
    case 2400: return B2400;
    case 4800: return B4800;
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    case 460800: return B460800;
    case 921600: return B921600;
    default: return 0;
    }
}

int gw_tty_make_raw(int fd, int baud) {
    speed_t sp = speed_for(baud);
    if (sp == 0) return -2;
    struct termios t;
    if (tcgetattr(fd, &t) != 0) return -1;
    cfmakeraw(&t);
    t.c_cflag |= (CLOCAL | CREAD);
    t.c_cflag &= ~(CSTOPB | PARENB | CRTSCTS);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (cfsetispeed(&t, sp) != 0 || cfsetospeed(&t, sp) != 0) return -1;
    if (tcsetattr(fd, TCSANOW, &t) != 0) return -1;
    return 0;
}

int gw_bytes_available(int fd) {
    int n = 0;
    if (ioctl(fd, FIONREAD, &n) != 0) return -1;
    return n;
}

int gw_set_pipe_size(int fd, int size) {
    return fcntl(fd, F_SETPIPE_SZ, size);
}

#include <linux/input.h>
#include <linux/hidraw.h>
#include <string.h>
#include <time.h>

int gw_evdev_grab(int fd, int on) { return ioctl(fd, EVIOCGRAB, (void *)(long)on); }
int gw_evdev_name(int fd, char *buf, int len) { return ioctl(fd, EVIOCGNAME(len), buf); }
int gw_evdev_phys(int fd, char *buf, int len) { return ioctl(fd, EVIOCGPHYS(len), buf); }
int gw_evdev_uniq(int fd, char *buf, int len) { return ioctl(fd, EVIOCGUNIQ(len), buf); }

int gw_evdev_id(int fd, unsigned short *bustype, unsigned short *vendor, unsigned short *product, unsigned short *version) {
    struct input_id id;
    if (ioctl(fd, EVIOCGID, &id) != 0) return -1;
    *bustype = id.bustype; *vendor = id.vendor; *product = id.product; *version = id.version;
    return 0;
}

int gw_evdev_monotonic(int fd) {
    int clk = CLOCK_MONOTONIC;
    return ioctl(fd, EVIOCSCLOCKID, &clk);
}

int gw_evdev_is_keyboard(int fd) {
    unsigned char bits[KEY_MAX / 8 + 1];
    memset(bits, 0, sizeof bits);
    if (ioctl(fd, EVIOCGBIT(EV_KEY, sizeof bits), bits) < 0) return 0;
#define HAS(k) (bits[(k) / 8] & (1 << ((k) % 8)))
    return HAS(KEY_A) && HAS(KEY_Z) && HAS(KEY_ENTER) && HAS(KEY_1);
#undef HAS
}

unsigned long long gw_monotonic_micros(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000ULL;
}

int gw_hidraw_descriptor(int fd, unsigned char *buf, int cap) {
    int size = 0;
    if (ioctl(fd, HIDIOCGRDESCSIZE, &size) != 0) return -1;
    struct hidraw_report_descriptor d;
    d.size = size;
    if (ioctl(fd, HIDIOCGRDESC, &d) != 0) return -1;
    if (size > cap) size = cap;
    memcpy(buf, d.value, size);
    return size;
}

int gw_hidraw_info(int fd, unsigned int *bustype, short *vendor, short *product) {
    struct hidraw_devinfo info;
    if (ioctl(fd, HIDIOCGRAWINFO, &info) != 0) return -1;
    *bustype = info.bustype; *vendor = info.vendor; *product = info.product;
    return 0;
}

int gw_hidraw_name(int fd, char *buf, int len) { return ioctl(fd, HIDIOCGRAWNAME(len), buf); }

struct release_state { long advised; int first; };

static int release_object(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct release_state *st = data;
    /* The first object is the program itself; after it come the shared libraries, by their
       paths. Anything without one (the vDSO, which the kernel maps specially) is left alone. */
    int program = st->first;
    st->first = 0;
    if (!program && (info->dlpi_name == NULL || info->dlpi_name[0] != '/')) return 0;
    long page = sysconf(_SC_PAGESIZE);
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        /* Read-only segments only: they are never written (RELRO lies in a writable segment,
           whose relocated pages must stay), so their pages are the file's and come back
           unchanged from the page cache when touched again. */
        if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W)) continue;
        uintptr_t lo = (info->dlpi_addr + ph->p_vaddr) & ~(uintptr_t)(page - 1);
        uintptr_t hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
        if (madvise((void *)lo, hi - lo, MADV_DONTNEED) == 0) st->advised += (long)(hi - lo);
    }
    return 0;
}

long gw_release_executable_pages(void) {
    struct release_state st = { 0, 1 };
    dl_iterate_phdr(release_object, &st);
    return st.advised;
}

int gw_sqlite_disable_memstatus(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int gw_malloc_arena_max(int n) {
    return mallopt(M_ARENA_MAX, n);
}

int gw_malloc_trim(void) {
    return malloc_trim(0);
}

long gw_resident_bytes(void) {
    // /proc/self/statm: size resident shared text lib data dt, in pages.
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char buf[128];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    unsigned long size = 0, resident = 0;
    if (sscanf(buf, "%lu %lu", &size, &resident) != 2) return 0;
    return (long)resident * sysconf(_SC_PAGESIZE);
}
