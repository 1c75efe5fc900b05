// fsyncshim.c: an LD_PRELOAD library that models what a power loss keeps.
//
// For the files named in VT_SHIM_FILES (comma-separated base names) inside
// the directory VT_SHIM_DIR, it passes every call through to libc and, in
// addition, keeps a shadow copy (in VT_SHIM_SHADOW, same base name) of each
// file's content as of its last successful fsync or fdatasync:
//
//   - the first time a tracked file is opened, its content on disk is the
//     durable baseline (the shadow starts as a copy); a file that did not
//     exist has no shadow: it would vanish in a power loss;
//   - write, pwrite and ftruncate (and O_TRUNC on open) are recorded, per
//     file, after they succeed, in order;
//   - fsync or fdatasync on any descriptor of the file applies the recorded
//     operations to the shadow: from then on they survive a power loss;
//   - unlink removes the shadow (the name is gone).
//
// After the process is killed, the test replaces each tracked file by its
// shadow (or removes it when there is none): the files as a power loss at
// that instant would have left them on a disk that honours fsync and
// nothing else. Calls the model does not cover on a tracked file (rename,
// writev, pwritev, fallocate, O_APPEND) are reported to VT_SHIM_LOG, and the
// test fails if any happened. Directory fsyncs are not modelled: a file's
// name is taken to be durable once the file was fsynced (SQLite fsyncs the
// directory after creating a journal file anyway).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

struct op {
	int truncate; // 0: write data at off; 1: truncate to off
	off_t off;
	size_t len;
	char *data;
	struct op *next;
};

struct file {
	char name[256];
	struct op *head, *tail;
	struct file *next;
};

#define MAXFD 65536

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char dir[2048], shadow[2048], logpath[2048], names[4096];
static int enabled;
static struct file *files;
static struct file *fdmap[MAXFD];

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static int (*real_ftruncate)(int, off_t);
static int (*real_ftruncate64)(int, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_close)(int);
static int (*real_unlink)(const char *);
static int (*real_unlinkat)(int, const char *, int);
static int (*real_rename)(const char *, const char *);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_pwritev)(int, const struct iovec *, int, off_t);
static int (*real_fallocate)(int, int, off_t, off_t);
static int (*real_posix_fallocate)(int, off_t, off_t);

#define RESOLVE(f) real_##f = dlsym(RTLD_NEXT, #f)

__attribute__((constructor)) static void init(void) {
	RESOLVE(open); RESOLVE(open64); RESOLVE(openat); RESOLVE(openat64);
	RESOLVE(write); RESOLVE(pwrite); RESOLVE(pwrite64);
	RESOLVE(ftruncate); RESOLVE(ftruncate64); RESOLVE(fsync); RESOLVE(fdatasync);
	RESOLVE(close); RESOLVE(unlink); RESOLVE(unlinkat); RESOLVE(rename);
	RESOLVE(writev); RESOLVE(pwritev); RESOLVE(fallocate); RESOLVE(posix_fallocate);
	const char *d = getenv("VT_SHIM_DIR"), *s = getenv("VT_SHIM_SHADOW"), *n = getenv("VT_SHIM_FILES"), *l = getenv("VT_SHIM_LOG");
	if (!d || !s || !n || !l) return;
	snprintf(dir, sizeof dir, "%s", d);
	snprintf(shadow, sizeof shadow, "%s", s);
	snprintf(names, sizeof names, ",%s,", n);
	snprintf(logpath, sizeof logpath, "%s", l);
	enabled = 1;
}

static void report(const char *what, const char *name) {
	int fd = real_open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd < 0) return;
	char buf[600];
	int n = snprintf(buf, sizeof buf, "%s %s\n", what, name);
	real_write(fd, buf, n);
	real_close(fd);
}

// tracked returns the base name of path if it is a tracked file, else NULL.
static const char *tracked(const char *path) {
	if (!enabled || !path) return NULL;
	size_t dl = strlen(dir);
	if (strncmp(path, dir, dl) != 0 || path[dl] != '/') return NULL;
	const char *base = path + dl + 1;
	if (strchr(base, '/') || strlen(base) > 200) return NULL;
	char key[260];
	snprintf(key, sizeof key, ",%s,", base);
	return strstr(names, key) ? base : NULL;
}

static void shadow_path(char *out, const char *name) { snprintf(out, PATH_MAX, "%s/%s", shadow, name); }

static struct file *lookup(const char *name, int create) {
	for (struct file *f = files; f; f = f->next)
		if (strcmp(f->name, name) == 0) return f;
	if (!create) return NULL;
	struct file *f = calloc(1, sizeof *f);
	snprintf(f->name, sizeof f->name, "%s", name);
	f->next = files;
	files = f;
	return f;
}

static void drop_ops(struct file *f) {
	for (struct op *o = f->head, *n; o; o = n) {
		n = o->next;
		free(o->data);
		free(o);
	}
	f->head = f->tail = NULL;
}

static void record(struct file *f, int trunc, off_t off, const void *data, size_t len) {
	struct op *o = calloc(1, sizeof *o);
	o->truncate = trunc;
	o->off = off;
	o->len = len;
	if (len) {
		o->data = malloc(len);
		memcpy(o->data, data, len);
	}
	if (f->tail) f->tail->next = o; else f->head = o;
	f->tail = o;
}

// copy_file copies src to dst (created 0600) with the real calls.
static void copy_file(const char *src, const char *dst) {
	int in = real_open(src, O_RDONLY), out;
	if (in < 0) return;
	out = real_open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (out >= 0) {
		char buf[1 << 16];
		ssize_t n;
		while ((n = read(in, buf, sizeof buf)) > 0) real_write(out, buf, n);
		real_close(out);
	}
	real_close(in);
}

// first_open sets up a file seen for the first time in this process.
static struct file *first_open(const char *path, const char *name, int existed) {
	struct file *f = lookup(name, 0);
	if (f) return f;
	f = lookup(name, 1);
	char sp[PATH_MAX];
	shadow_path(sp, name);
	struct stat st;
	if (existed && stat(sp, &st) != 0) copy_file(path, sp); // the durable baseline
	return f;
}

static int after_open(const char *path, int flags, int fd, int existed) {
	const char *name = tracked(path);
	if (fd < 0 || !name || fd >= MAXFD) return fd;
	pthread_mutex_lock(&mu);
	struct file *f = first_open(path, name, existed);
	fdmap[fd] = f;
	if (flags & O_TRUNC) record(f, 1, 0, NULL, 0);
	if (flags & O_APPEND) report("O_APPEND", name);
	pthread_mutex_unlock(&mu);
	return fd;
}

static int exists(const char *path) {
	struct stat st;
	return stat(path, &st) == 0;
}

#define OPEN_BODY(realf, ...)                                  \
	mode_t mode = 0;                                           \
	if (flags & (O_CREAT | O_TMPFILE)) {                       \
		va_list ap;                                            \
		va_start(ap, flags);                                   \
		mode = va_arg(ap, mode_t);                             \
		va_end(ap);                                            \
	}                                                          \
	int existed = tracked(path) ? exists(path) : 0;            \
	int fd = realf(__VA_ARGS__, flags, mode);                  \
	return after_open(path, flags, fd, existed);

int open(const char *path, int flags, ...) { OPEN_BODY(real_open, path) }
int open64(const char *path, int flags, ...) { OPEN_BODY(real_open64, path) }

// openat is tracked for absolute paths only (SQLite opens by absolute path
// when given one).
int openat(int dirfd, const char *path, int flags, ...) { OPEN_BODY(real_openat, dirfd, path) }
int openat64(int dirfd, const char *path, int flags, ...) { OPEN_BODY(real_openat64, dirfd, path) }

static struct file *of(int fd) { return fd >= 0 && fd < MAXFD ? fdmap[fd] : NULL; }

ssize_t write(int fd, const void *buf, size_t n) {
	if (!of(fd)) return real_write(fd, buf, n);
	pthread_mutex_lock(&mu);
	off_t off = lseek(fd, 0, SEEK_CUR);
	ssize_t r = real_write(fd, buf, n);
	if (r > 0 && of(fd)) record(of(fd), 0, off, buf, r);
	pthread_mutex_unlock(&mu);
	return r;
}

static ssize_t do_pwrite(ssize_t (*realf)(int, const void *, size_t, off_t), int fd, const void *buf, size_t n, off_t off) {
	if (!of(fd)) return realf(fd, buf, n, off);
	pthread_mutex_lock(&mu);
	ssize_t r = realf(fd, buf, n, off);
	if (r > 0 && of(fd)) record(of(fd), 0, off, buf, r);
	pthread_mutex_unlock(&mu);
	return r;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) { return do_pwrite(real_pwrite, fd, buf, n, off); }
ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off) { return do_pwrite(real_pwrite64, fd, buf, n, off); }

static int do_ftruncate(int (*realf)(int, off_t), int fd, off_t len) {
	if (!of(fd)) return realf(fd, len);
	pthread_mutex_lock(&mu);
	int r = realf(fd, len);
	if (r == 0 && of(fd)) record(of(fd), 1, len, NULL, 0);
	pthread_mutex_unlock(&mu);
	return r;
}

int ftruncate(int fd, off_t len) { return do_ftruncate(real_ftruncate, fd, len); }
int ftruncate64(int fd, off_t len) { return do_ftruncate(real_ftruncate64, fd, len); }

// apply makes f's recorded operations durable: they are replayed on the shadow.
static void apply(struct file *f) {
	char sp[PATH_MAX];
	shadow_path(sp, f->name);
	int s = real_open(sp, O_WRONLY | O_CREAT, 0600);
	if (s < 0) {
		report("SHADOW-OPEN-FAILED", f->name);
		return;
	}
	for (struct op *o = f->head; o; o = o->next) {
		if (o->truncate) {
			real_ftruncate(s, o->off);
		} else if (real_pwrite(s, o->data, o->len, o->off) != (ssize_t)o->len) {
			report("SHADOW-WRITE-FAILED", f->name);
		}
	}
	real_close(s);
	drop_ops(f);
}

static int do_sync(int (*realf)(int), int fd) {
	if (!of(fd)) return realf(fd);
	pthread_mutex_lock(&mu);
	int r = realf(fd);
	if (r == 0 && of(fd)) apply(of(fd));
	pthread_mutex_unlock(&mu);
	return r;
}

int fsync(int fd) { return do_sync(real_fsync, fd); }
int fdatasync(int fd) { return do_sync(real_fdatasync, fd); }

int close(int fd) {
	if (of(fd)) {
		pthread_mutex_lock(&mu);
		fdmap[fd] = NULL;
		pthread_mutex_unlock(&mu);
	}
	return real_close(fd);
}

static void forget(const char *name) {
	struct file *f = lookup(name, 0);
	if (f) drop_ops(f);
	char sp[PATH_MAX];
	shadow_path(sp, name);
	real_unlink(sp);
}

int unlink(const char *path) {
	const char *name = tracked(path);
	if (!name) return real_unlink(path);
	pthread_mutex_lock(&mu);
	int r = real_unlink(path);
	if (r == 0) forget(name);
	pthread_mutex_unlock(&mu);
	return r;
}

int unlinkat(int dirfd, const char *path, int flags) {
	const char *name = tracked(path);
	if (!name) return real_unlinkat(dirfd, path, flags);
	pthread_mutex_lock(&mu);
	int r = real_unlinkat(dirfd, path, flags);
	if (r == 0) forget(name);
	pthread_mutex_unlock(&mu);
	return r;
}

int rename(const char *from, const char *to) {
	if (tracked(from) || tracked(to)) report("rename", tracked(to) ? tracked(to) : tracked(from));
	return real_rename(from, to);
}

ssize_t writev(int fd, const struct iovec *iov, int n) {
	if (of(fd)) report("writev", of(fd)->name);
	return real_writev(fd, iov, n);
}

ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t off) {
	if (of(fd)) report("pwritev", of(fd)->name);
	return real_pwritev(fd, iov, n, off);
}

int fallocate(int fd, int mode, off_t off, off_t len) {
	if (of(fd)) report("fallocate", of(fd)->name);
	return real_fallocate(fd, mode, off, len);
}

int posix_fallocate(int fd, off_t off, off_t len) {
	if (of(fd)) report("posix_fallocate", of(fd)->name);
	return real_posix_fallocate(fd, off, len);
}
