// SPDX-License-Identifier: GPL-2.0
/*
 * simple.ko keeps the book's VMA trace: one "Simple VMA open, virt %lx,
 * phys %lx" per VMA opened (the explicit call in mmap, fork, a split by a
 * partial munmap or mprotect, an mremap move) and one "Simple VMA close."
 * per VMA closed. For each action on each node this test reads the new
 * kernel log records from /dev/kmsg and checks that the lines balance with
 * the driver's own live count (/sys/class/simple/NODE/mappings), that the
 * count returns to zero, that the first line names the mapping's address
 * and physical address (from /proc/self/pagemap), and that the module
 * cannot be unloaded while a mapping outlives its file descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "module_param.h"
#include "simple_test.h"

#define OPEN_LINE "Simple VMA open, virt "
#define PHYS ", phys "

struct trace {
	int opens, closes;
	unsigned long virt, phys;	/* of the first open line */
};

/* /dev/kmsg positioned after every record logged so far. */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Count the driver's lines logged since the last call into *t. */
static void kmsg_read(int fd, struct trace *t)
{
	char rec[2048];

	memset(t, 0, sizeof(*t));
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		char *msg, *end;

		if (n < 0 && errno == EPIPE)	/* overwritten: go on */
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		if (!strncmp(msg, OPEN_LINE, strlen(OPEN_LINE))) {
			if (t->opens++)
				continue;
			/* "Simple VMA open, virt %lx, phys %lx\n" */
			t->virt = strtoul(msg + strlen(OPEN_LINE), &end, 16);
			if (strncmp(end, PHYS, strlen(PHYS)) != 0)
				t->virt = 1;	/* a malformed line */
			else
				t->phys = strtoul(end + strlen(PHYS), &end, 16);
			if (strcmp(end, "\n") != 0)
				t->phys = 1;
		} else if (!strcmp(msg, "Simple VMA close.\n")) {
			t->closes++;
		}
	}
}

/* The physical address behind ADDR (mapped and touched), from pagemap. */
static unsigned long phys_of(void *addr)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e),
		  (off_t)((uintptr_t)addr / page * sizeof(e))) != sizeof(e))
		e = 0;
	close(fd);
	if (!(e >> 63))
		return 0;
	return (e & ((1ULL << 55) - 1)) * page;
}

FIXTURE(vma)
{
	int fd, kmsg;
	size_t page;
	unsigned char *map;
	size_t len;
	struct trace t;
};

FIXTURE_VARIANT(vma)
{
	const char *node;
};

FIXTURE_VARIANT_ADD(vma, simpler)
{
	.node = "simpler",
};

FIXTURE_VARIANT_ADD(vma, simplen)
{
	.node = "simplen",
};

/*
 * Everything logged since the last call balances with the live count:
 * OPENED more lines "open", CLOSED more "close", LIVE mappings now.
 */
#define EXPECT_TRACE(opened, closed, live) do {				\
	kmsg_read(self->kmsg, &self->t);				\
	EXPECT_EQ(opened, self->t.opens);				\
	EXPECT_EQ(closed, self->t.closes);				\
	EXPECT_EQ(live, simple_mappings(variant->node));			\
} while (0)

FIXTURE_SETUP(vma)
{
	char path[64];

	self->page = sysconf(_SC_PAGESIZE);
	self->len = 4 * self->page;
	/* Every line counts here: no rate limit. */
	ASSERT_EQ(0, set_module_param("simple", "vma_log_limit", "N", NULL, 0));
	snprintf(path, sizeof(path), "/dev/%s", variant->node);
	self->kmsg = kmsg_open();
	ASSERT_LE(0, self->kmsg) TH_LOG("/dev/kmsg: %s", strerror(errno));
	self->fd = open(path, O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", path, strerror(errno));
	ASSERT_EQ(0, simple_mappings(variant->node));

	self->map = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map) TH_LOG("mmap: %s", strerror(errno));
	/* Only the explicit open from mmap: one line. */
	EXPECT_TRACE(1, 0, 1);
	EXPECT_EQ((unsigned long)self->map, self->t.virt);
}

FIXTURE_TEARDOWN(vma)
{
	close(self->fd);
	close(self->kmsg);
	set_module_param("simple", "vma_log_limit", "Y", NULL, 0);
}

/* Where offset 0 of the RAM buffer is: pagemap of a /dev/simplen mapping. */
static unsigned long ram_phys0(size_t page)
{
	unsigned long phys = 0;
	int fd = open("/dev/simplen", O_RDONLY);
	void *p;

	if (fd < 0)
		return 0;
	p = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED) {
		(void)*(volatile char *)p;	/* fault the page in */
		phys = phys_of(p);
		munmap(p, page);
	}
	close(fd);
	return phys;
}

TEST_F(vma, plain_map_unmap)
{
	unsigned long logged = self->t.phys, expect;

	self->map[0] = 1;
	ASSERT_EQ(0, munmap(self->map, self->len));
	EXPECT_TRACE(0, 1, 0);

	/*
	 * The line's phys is where the mapping's first page really is:
	 * phys_start on device memory; on RAM, what pagemap says for offset
	 * 0 of /dev/simplen (pagemap skips the VM_PFNMAP VMAs of simpler).
	 */
	expect = simple_param("phys_size") ? simple_param("phys_start") :
				      ram_phys0(self->page);
	ASSERT_NE(0, expect) TH_LOG("pagemap gives no address");
	EXPECT_EQ(expect, logged);
}

TEST_F(vma, fork_child_and_parent_unmap)
{
	int status;
	pid_t pid;

	self->map[0] = 42;
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* The child's copy of the VMA maps the same memory. */
		int ok = self->map[0] == 42;

		_exit(!ok || munmap(self->map, self->len) ? 1 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_TRACE(1, 1, 1);
	ASSERT_EQ(0, munmap(self->map, self->len));
	EXPECT_TRACE(0, 1, 0);
}

TEST_F(vma, fork_child_exits_mapped)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (!pid)
		_exit(0);	/* exit closes the child's VMA */
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRACE(1, 1, 1);
	ASSERT_EQ(0, munmap(self->map, self->len));
	EXPECT_TRACE(0, 1, 0);
}

TEST_F(vma, partial_munmap_splits)
{
	int live;

	/* Unmap the second page: two VMAs remain, [0] and [2, 3]. */
	ASSERT_EQ(0, munmap(self->map + self->page, self->page));
	kmsg_read(self->kmsg, &self->t);
	live = simple_mappings(variant->node);
	EXPECT_EQ(2, live);
	EXPECT_EQ(1, self->t.opens - self->t.closes);
	EXPECT_LE(1, self->t.opens) TH_LOG("the split opened no VMA");
	self->map[0] = 1;
	self->map[3 * self->page] = 3;
	ASSERT_EQ(0, munmap(self->map, self->len));
	EXPECT_TRACE(0, 2, 0);
}

TEST_F(vma, mprotect_part_splits)
{
	kmsg_read(self->kmsg, &self->t);
	/* Read-only middle: three VMAs, never merged back (they have close). */
	ASSERT_EQ(0, mprotect(self->map + self->page, 2 * self->page,
			      PROT_READ));
	kmsg_read(self->kmsg, &self->t);
	EXPECT_EQ(3, simple_mappings(variant->node));
	EXPECT_EQ(2, self->t.opens - self->t.closes);
	ASSERT_EQ(0, mprotect(self->map, self->len, PROT_READ | PROT_WRITE));
	kmsg_read(self->kmsg, &self->t);
	EXPECT_EQ(0, self->t.opens - self->t.closes);
	EXPECT_EQ(3, simple_mappings(variant->node));
	ASSERT_EQ(0, munmap(self->map, self->len));
	EXPECT_TRACE(0, 3, 0);
}

TEST_F(vma, mremap_move)
{
	unsigned char *dst, *q;

	self->map[0] = 7;
	dst = mmap(NULL, self->len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	ASSERT_NE(MAP_FAILED, dst);
	q = mremap(self->map, self->len, self->len,
		   MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ASSERT_EQ(dst, q) TH_LOG("mremap: %s", strerror(errno));
	/* The new VMA is opened, the old one closed. */
	EXPECT_TRACE(1, 1, 1);
	EXPECT_EQ((unsigned long)dst, self->t.virt);
	EXPECT_EQ(7, q[0]);
	ASSERT_EQ(0, munmap(q, self->len));
	EXPECT_TRACE(0, 1, 0);
}

static int run(const char *cmd)
{
	int status = system(cmd);

	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * The mapping holds the file, the file holds the module: delete_module()
 * refuses with EWOULDBLOCK (kmod's rmmod says "is in use"), and the mapping
 * still works; after munmap the module unloads. Then it is loaded again
 * with the parameters it had.
 */
TEST_F(vma, rmmod_fails_while_mapped)
{
	char cmd[512];
	const char *root = getenv("LDD3_ROOT");

	ASSERT_NE(NULL, root) TH_LOG("LDD3_ROOT is not set");
	snprintf(cmd, sizeof(cmd),
		 "insmod %s/simple.ko size=%llu phys_start=%llu phys_size=%llu phys_wc=%d",
		 root, simple_param("size"), simple_param("phys_start"),
		 simple_param("phys_size"), (int)simple_param("phys_wc"));
	self->map[0] = 5;
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;

	EXPECT_EQ(-1, syscall(SYS_delete_module, "simple", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno) TH_LOG("%s", strerror(errno));
	EXPECT_NE(0, run("rmmod simple 2>/dev/null"));
	EXPECT_EQ(0, access("/sys/module/simple", F_OK));
	EXPECT_EQ(5, self->map[0]);
	EXPECT_TRACE(0, 0, 1);

	ASSERT_EQ(0, munmap(self->map, self->len));
	EXPECT_TRACE(0, 1, 0);
	EXPECT_EQ(0, syscall(SYS_delete_module, "simple", O_NONBLOCK))
		TH_LOG("unload after munmap: %s", strerror(errno));
	EXPECT_EQ(0, run(cmd)) TH_LOG("%s failed", cmd);
}

TEST_HARNESS_MAIN
