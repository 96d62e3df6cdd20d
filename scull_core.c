// SPDX-License-Identifier: GPL-2.0
/*
 * scull_core: what scullp and scullv share (LDD3 chapters 8 and 15).
 *
 * A device is a sparse array of quanta of PAGE_SIZE << order bytes. The book
 * chained "quantum sets" of qset pointers in a linked list and walked it on
 * every access, so a fault near the end of a large device cost a walk of the
 * whole list. Here the sets live in an xarray indexed by set number: finding
 * the quantum of an offset costs one radix-tree lookup whatever the size of
 * the device, and qset keeps its meaning (quanta per set).
 *
 * Locking:
 *  - dev->lock (mutex) protects size updates, vmas, quanta and the
 *    geometry (order, qset). It is never held across a user copy, so
 *    mmap() and the VMA open/close callbacks, which run under mmap_lock,
 *    may take it.
 *  - dev->trim_sem (rw_semaphore) keeps the quanta alive: read() and
 *    write() hold it shared across their copy to or from user space;
 *    freeing quanta or changing the geometry holds it exclusive.
 *  - The fault path takes neither: it runs with mmap_lock (or the VMA lock,
 *    or only RCU for fault-around) held, and a user buffer of read() or
 *    write() may be a mapping of the device itself. It is safe without
 *    locks because nothing is freed, and the geometry does not change,
 *    while dev->vmas > 0, which holds as long as the faulting VMA exists.
 *    Quanta and sets are published with release semantics and looked up
 *    with acquire semantics, so a mapped page is always seen zero-filled.
 * Lock order: trim_sem -> mmap_lock -> dev->lock.
 * Every wait a user can prolong is killable: trim_sem is held shared for
 * as long as a copy to or from user space takes, which a user controls
 * (a buffer backed by userfaultfd or FUSE), so it is always taken with the
 * _killable forms; dev->lock is only ever held for bounded work.
 *
 * Memory: what a user's write makes the driver allocate is charged to the
 * writer's memory cgroup (__GFP_ACCOUNT), fails with an error instead of
 * invoking the OOM killer (__GFP_RETRY_MAYFAIL), and is bounded by
 * max_device_bytes and max_bytes, as tmpfs bounds a file system with size=.
 */
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/ratelimit.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/xarray.h>

#include "fault_around.h"
#include "pmd_map.h"
#include "kernel_compat.h"
#include "scull.h"
#include "scull_ioctl.h"

static bool fault_around = true;
module_param(fault_around, bool, 0644);
MODULE_PARM_DESC(fault_around,
		 "Map the existing neighbours of a read fault, or of a write fault in a shared mapping, in one go, or a 2 MiB scullp quantum with one PMD entry where the kernel can; applies to new mappings (default: on)");

static bool vma_log_limit = true;
module_param(vma_log_limit, bool, 0644);
MODULE_PARM_DESC(vma_log_limit,
		 "Rate-limit the VMA open and close lines to 10 per 5 s, so that a fork loop cannot flood the kernel log (default: on)");

/* Highest number of devices one leaf module may create. */
#define SCULL_MAX_DEVS	64

/*
 * Every allocation a write causes. __GFP_RETRY_MAYFAIL, not __GFP_NORETRY:
 * it reclaims (page cache is freed to make room, as for a tmpfs write) but
 * never invokes the OOM killer, neither the global one nor the memory
 * cgroup's, and the page allocator, slab, kvmalloc() and vmalloc() all
 * honour it on every supported kernel.
 */
const gfp_t scull_gfp = GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL |
			__GFP_NOWARN;
EXPORT_SYMBOL_GPL(scull_gfp);

/*
 * Limits on the data (quanta) the devices hold; 0 at load means half of
 * RAM, tmpfs's default. Beyond either, write() returns ENOSPC after what
 * fitted; nothing already written is touched.
 */
static unsigned long max_device_bytes;
module_param(max_device_bytes, ulong, 0644);
MODULE_PARM_DESC(max_device_bytes,
		 "Bytes of data one device may hold (default: half of RAM; beyond: ENOSPC)");

static unsigned long max_bytes;
module_param(max_bytes, ulong, 0644);
MODULE_PARM_DESC(max_bytes,
		 "Bytes of data all scullp and scullv devices together may hold (default: half of RAM; beyond: ENOSPC)");

/* Bytes of quanta allocated, all devices of all leaf modules. */
static atomic_long_t scull_bytes = ATOMIC_LONG_INIT(0);

/**
 * struct scull_dev - one /dev/scullpN or /dev/scullvN
 * @name: "scullp0", used in kernel log lines and /proc
 * @drv: the leaf module's driver
 * @lock: see the locking comment at the top of this file
 * @trim_sem: see the locking comment at the top of this file
 * @sets: xarray of sets, indexed by set number; a set is an array of
 *	@qset struct scull_quantum
 * @size: bytes of data; written under @lock, read locklessly by the fault
 *	path (atomic64_t so that it cannot tear on 32-bit machines)
 * @order: a quantum is PAGE_SIZE << @order bytes
 * @qset: quanta per set
 * @quanta: quanta allocated
 * @vmas: live VMAs mapping the device
 * @device: the device node's struct device
 */
struct scull_dev {
	char name[32];
	struct scull_driver *drv;
	struct mutex lock;	/* see "Locking" at the top of this file */
	struct rw_semaphore trim_sem;
	struct xarray sets;
	atomic64_t size;
	unsigned int order;
	unsigned int qset;
	unsigned long quanta;
	int vmas;
	struct device *device;
};

/**
 * struct scull_driver - the devices of one leaf module
 * @ops: how the leaf allocates, frees and maps a quantum
 * @params: load-time parameters (defaults restored by RESET)
 * @fops: file operations, defined in the leaf module by SCULL_DEFINE_FOPS()
 *	so that an open or mapped device pins the leaf
 * @class: device class named after @ops->name
 * @devt: first device number
 * @cdev: the character device of all the devices' numbers
 * @proc: /proc/<name>mem
 * @devs: the devices
 */
struct scull_driver {
	const struct scull_mem_ops *ops;
	struct scull_params params;
	const struct file_operations *fops;
	struct class *class;
	dev_t devt;
	struct cdev cdev;
	struct proc_dir_entry *proc;
	struct scull_dev *devs;
};

/**
 * struct scull_quantum - one slot of a set: a quantum and its pages
 * @addr: kernel address of the PAGE_SIZE << order bytes, for read() and
 *	write(); NULL for a hole
 * @pages: the struct page of each of its 1 << order pages, for the fault
 *	path
 *
 * The pages are looked up once, when the quantum is allocated, not on every
 * fault: vmalloc_to_page() walks the kernel page tables.
 */
struct scull_quantum {
	void *addr;
	struct page **pages;
};

/* Slot @i of @set if it holds a quantum, else NULL; takes no lock. */
static struct scull_quantum *scull_quantum_in(struct scull_quantum *set,
					      unsigned long i)
{
	/* Pairs with smp_store_release() in scull_get_quantum(). */
	return set && smp_load_acquire(&set[i].addr) ? &set[i] : NULL;
}

static inline size_t scull_quantum_size(const struct scull_dev *dev)
{
	return PAGE_SIZE << dev->order;
}

/**
 * scull_find_quantum() - look up a quantum without taking a lock
 * @dev: the device
 * @qnum: quantum number (byte offset >> (PAGE_SHIFT + order))
 *
 * Callers hold dev->trim_sem, dev->lock, or know that dev->vmas > 0 (fault
 * path): any of these keeps quanta and geometry from changing under us.
 * Return: the quantum, or NULL for a hole.
 */
static struct scull_quantum *scull_find_quantum(struct scull_dev *dev,
						unsigned long qnum)
{
	return scull_quantum_in(xa_load(&dev->sets, qnum / dev->qset),
				qnum % dev->qset);
}

/* Count one more quantum against both limits; false if it does not fit. */
static bool scull_charge_quantum(struct scull_dev *dev)
{
	unsigned long qsize = scull_quantum_size(dev);

	if ((dev->quanta + 1) * qsize > READ_ONCE(max_device_bytes))
		return false;
	if (atomic_long_add_return(qsize, &scull_bytes) >
	    READ_ONCE(max_bytes)) {
		atomic_long_sub(qsize, &scull_bytes);
		return false;
	}
	return true;
}

/**
 * scull_get_quantum() - find or allocate the quantum of a write
 * @dev: the device, with dev->lock held
 * @qnum: quantum number
 *
 * Return: the quantum, ERR_PTR(-ENOSPC) beyond a limit, or
 * ERR_PTR(-ENOMEM).
 */
static struct scull_quantum *scull_get_quantum(struct scull_dev *dev,
					       unsigned long qnum)
{
	const struct scull_mem_ops *ops = dev->drv->ops;
	unsigned long i, n = 1UL << dev->order, snum = qnum / dev->qset;
	struct scull_quantum *set, *quantum;
	struct page **pages;
	void *addr;

	lockdep_assert_held(&dev->lock);
	set = xa_load(&dev->sets, snum);
	if (!set) {
		set = kvcalloc(dev->qset, sizeof(*set), scull_gfp);
		if (!set)
			return ERR_PTR(-ENOMEM);
		/* xa_store() publishes the zeroed set with release semantics. */
		if (xa_err(xa_store(&dev->sets, snum, set, scull_gfp))) {
			kvfree(set);
			return ERR_PTR(-ENOMEM);
		}
	}
	quantum = &set[qnum % dev->qset];
	if (quantum->addr)
		return quantum;
	if (!scull_charge_quantum(dev))
		return ERR_PTR(-ENOSPC);
	pages = kmalloc_array(n, sizeof(*pages), scull_gfp);
	if (!pages)
		goto uncharge;
	addr = ops->alloc(dev->order);
	if (!addr) {
		kfree(pages);
		goto uncharge;
	}
	for (i = 0; i < n; i++)
		pages[i] = ops->page(addr, i);
	quantum->pages = pages;
	/*
	 * The zeroing and the page array must be visible before the address
	 * that marks the slot used (lockless readers).
	 */
	smp_store_release(&quantum->addr, addr);
	dev->quanta++;
	return quantum;

uncharge:
	atomic_long_sub(scull_quantum_size(dev), &scull_bytes);
	return ERR_PTR(-ENOMEM);
}

/*
 * Free every quantum and set, leaving an empty device. The caller holds
 * trim_sem exclusive and dev->lock, and has checked that dev->vmas == 0.
 */
static void scull_free_all(struct scull_dev *dev)
{
	struct scull_quantum *set;
	unsigned long snum, i;

	lockdep_assert_held(&dev->lock);
	xa_for_each(&dev->sets, snum, set) {
		for (i = 0; i < dev->qset; i++) {
			if (!set[i].addr)
				continue;
			dev->drv->ops->free(set[i].addr, dev->order);
			kfree(set[i].pages);
		}
		kvfree(set);
		cond_resched();
	}
	xa_destroy(&dev->sets);
	atomic_long_sub(dev->quanta * scull_quantum_size(dev), &scull_bytes);
	dev->quanta = 0;
	atomic64_set(&dev->size, 0);
}

/**
 * scull_trim() - empty a device unless it is mapped
 * @dev: the device
 *
 * The book's policy: the memory of a mapped device is not freed, so the
 * data stays visible through the mapping and through read().
 * Return: 0, -EBUSY if the device is mapped (and was left alone), or
 * -EINTR if a fatal signal came while it waited for a reader.
 */
static int scull_trim(struct scull_dev *dev)
{
	int ret = 0;

	if (down_write_killable(&dev->trim_sem))
		return -EINTR;
	mutex_lock(&dev->lock);
	if (dev->vmas)
		ret = -EBUSY;
	else
		scull_free_all(dev);
	mutex_unlock(&dev->lock);
	up_write(&dev->trim_sem);
	return ret;
}

int scull_open(struct inode *inode, struct file *filp)
{
	struct scull_driver *drv = container_of(inode->i_cdev,
						struct scull_driver, cdev);
	struct scull_dev *dev = &drv->devs[iminor(inode) - MINOR(drv->devt)];
	int ret;

	filp->private_data = dev;
	/* As in the book, a write-only open truncates the device. */
	if ((filp->f_flags & O_ACCMODE) != O_WRONLY)
		return 0;
	ret = scull_trim(dev);
	if (ret == -EBUSY) {
		pr_debug("%s: mapped, not truncated\n", dev->name);
		return 0;
	}
	return ret;
}
EXPORT_SYMBOL_GPL(scull_open);

int scull_release(struct inode *inode, struct file *filp)
{
	return 0;
}
EXPORT_SYMBOL_GPL(scull_release);

/*
 * read() and write() go one quantum at a time (the book returned after one
 * quantum; these go on until the request is done or a copy faults). They
 * are read_iter and write_iter, so readv(), writev() and preadv2() work
 * too. trim_sem, held shared, keeps the quanta alive across the copies; no
 * mutex is held there, so the user buffer may be a mapping of this or
 * another scull device.
 */
ssize_t scull_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct scull_dev *dev = iocb->ki_filp->private_data;
	size_t count = iov_iter_count(to);
	loff_t pos = iocb->ki_pos, size;
	size_t qsize, offset, chunk, copied, done = 0;
	struct scull_quantum *quantum;
	void *from;

	if (pos < 0)
		return -EINVAL;
	if (down_read_killable(&dev->trim_sem))
		return -EINTR;
	size = atomic64_read(&dev->size);
	if (pos >= size)
		goto out;
	count = min_t(u64, count, size - pos);
	qsize = scull_quantum_size(dev);
	while (done < count) {
		offset = pos & (qsize - 1);
		chunk = min(count - done, qsize - offset);
		quantum = scull_find_quantum(dev,
					     pos >> (PAGE_SHIFT + dev->order));
		/*
		 * A hole (never written) reads as zeros, like a sparse file:
		 * copied from the zero page, a page at a time.
		 */
		if (quantum) {
			from = quantum->addr + offset;
		} else {
			chunk = min_t(size_t, chunk, PAGE_SIZE);
			from = page_address(ZERO_PAGE(0));
		}
		copied = copy_to_iter(from, chunk, to);
		done += copied;
		pos += copied;
		if (copied < chunk)
			break;
		cond_resched();
	}
out:
	up_read(&dev->trim_sem);
	if (!done && count && pos < size)
		return -EFAULT;
	iocb->ki_pos = pos;
	return done;
}
EXPORT_SYMBOL_GPL(scull_read_iter);

/*
 * Unlike copy_from_user(), a copy_from_iter() that faults does not zero the
 * rest of its destination, so device data past the count returned stays.
 */
ssize_t scull_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct scull_dev *dev = iocb->ki_filp->private_data;
	size_t count = iov_iter_count(from);
	loff_t pos = iocb->ki_pos;
	size_t qsize, offset, chunk, copied, done = 0;
	struct scull_quantum *quantum;
	ssize_t ret = 0;

	if (pos < 0)
		return -EINVAL;
	if (!count)
		return 0;
	if (down_read_killable(&dev->trim_sem))
		return -EINTR;
	/*
	 * O_APPEND or RWF_APPEND: write at the end, as regular files do. Not
	 * atomic against another writer (no lock is held across the copies):
	 * two appenders may both start at the same end.
	 */
	if (iocb->ki_flags & IOCB_APPEND)
		pos = atomic64_read(&dev->size);
	if (pos >= MAX_LFS_FILESIZE) {
		up_read(&dev->trim_sem);
		return -EFBIG;
	}
	count = min_t(u64, count, MAX_LFS_FILESIZE - pos);
	qsize = scull_quantum_size(dev);
	while (done < count) {
		offset = pos & (qsize - 1);
		chunk = min(count - done, qsize - offset);
		mutex_lock(&dev->lock);
		quantum = scull_get_quantum(dev,
					    pos >> (PAGE_SHIFT + dev->order));
		mutex_unlock(&dev->lock);
		if (IS_ERR(quantum)) {
			ret = PTR_ERR(quantum);
			break;
		}
		copied = copy_from_iter(quantum->addr + offset, chunk, from);
		done += copied;
		pos += copied;
		if (copied) {
			mutex_lock(&dev->lock);
			if (atomic64_read(&dev->size) < pos)
				/* Pairs with atomic64_read_acquire() (faults). */
				atomic64_set_release(&dev->size, pos);
			mutex_unlock(&dev->lock);
		}
		if (copied < chunk) {
			ret = -EFAULT;
			break;
		}
		cond_resched();
	}
	up_read(&dev->trim_sem);
	if (!done)
		return ret;
	iocb->ki_pos = pos;
	return done;
}
EXPORT_SYMBOL_GPL(scull_write_iter);

loff_t scull_llseek(struct file *filp, loff_t off, int whence)
{
	struct scull_dev *dev = filp->private_data;

	return generic_file_llseek_size(filp, off, whence, MAX_LFS_FILESIZE,
					atomic64_read(&dev->size));
}
EXPORT_SYMBOL_GPL(scull_llseek);

/**
 * scull_set_geometry() - change the order and/or qset of a device
 * @dev: the device
 * @order: new order, or -1 to keep it
 * @qset: new qset, or -1 to keep it
 * @old: if not NULL, set to the value replaced (of order if @order >= 0,
 *	else of qset), read under the same lock as the change
 *
 * Quanta of the old order cannot be freed or mapped with the new one, so
 * the change is refused while the device holds data or is mapped. Only the
 * field asked for is written: two ioctls changing one field each both
 * take effect.
 * Return: 0, -EINVAL for a value out of range, -EBUSY if in use, or -EINTR.
 */
static int scull_set_geometry(struct scull_dev *dev, int order, int qset,
			      int *old)
{
	int ret = 0;

	if ((order != -1 && (order < 0 || order > SCULL_ORDER_MAX)) ||
	    (qset != -1 && (qset < SCULL_QSET_MIN || qset > SCULL_QSET_MAX)))
		return -EINVAL;
	if (down_write_killable(&dev->trim_sem))
		return -EINTR;
	mutex_lock(&dev->lock);
	if (old)
		*old = order >= 0 ? dev->order : dev->qset;
	if (order < 0)
		order = dev->order;
	if (qset < 0)
		qset = dev->qset;
	if (order == dev->order && qset == dev->qset)
		goto out;
	if (dev->vmas || atomic64_read(&dev->size)) {
		ret = -EBUSY;
		goto out;
	}
	/* Quanta left by a write() that failed to copy anything. */
	scull_free_all(dev);
	/* The ioctls that only read them do so without a lock. */
	WRITE_ONCE(dev->order, order);
	WRITE_ONCE(dev->qset, qset);
out:
	mutex_unlock(&dev->lock);
	up_write(&dev->trim_sem);
	return ret;
}

/* The book's order/qset ioctls, applied to the device of @filp. */
long scull_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct scull_dev *dev = filp->private_data;
	const struct scull_params *def = &dev->drv->params;
	int __user *uarg = (int __user *)arg;
	int val = 0, old, ret;
	bool is_order;

	BUILD_BUG_ON(SCULLV_IOCXQSET != SCULLP_IOCXQSET);
	if (_IOC_TYPE(cmd) != SCULLP_IOC_MAGIC ||
	    _IOC_NR(cmd) > SCULLP_IOC_MAXNR)
		return -ENOTTY;

	switch (cmd) {
	case SCULLP_IOCGORDER:
		return put_user(READ_ONCE(dev->order), uarg);
	case SCULLP_IOCQORDER:
		return READ_ONCE(dev->order);
	case SCULLP_IOCGQSET:
		return put_user(READ_ONCE(dev->qset), uarg);
	case SCULLP_IOCQQSET:
		return READ_ONCE(dev->qset);
	}

	/* Everything else changes the device. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (cmd == SCULLP_IOCRESET)
		return scull_set_geometry(dev, def->order, def->qset, NULL);

	switch (cmd) {
	case SCULLP_IOCSORDER:
	case SCULLP_IOCXORDER:
	case SCULLP_IOCSQSET:
	case SCULLP_IOCXQSET:
		if (get_user(val, uarg))
			return -EFAULT;
		break;
	case SCULLP_IOCTORDER:
	case SCULLP_IOCHORDER:
	case SCULLP_IOCTQSET:
	case SCULLP_IOCHQSET:
		if (arg > INT_MAX)
			return -EINVAL;
		val = arg;
		break;
	default:
		return -ENOTTY;
	}
	/* Negative values mean "keep" to scull_set_geometry(): refuse them. */
	if (val < 0)
		return -EINVAL;

	is_order = cmd == SCULLP_IOCSORDER || cmd == SCULLP_IOCXORDER ||
		   cmd == SCULLP_IOCTORDER || cmd == SCULLP_IOCHORDER;
	ret = is_order ? scull_set_geometry(dev, val, -1, &old) :
			 scull_set_geometry(dev, -1, val, &old);
	if (ret)
		return ret;

	switch (cmd) {
	case SCULLP_IOCXORDER:
	case SCULLP_IOCXQSET:
		return put_user(old, uarg);
	case SCULLP_IOCHORDER:
	case SCULLP_IOCHQSET:
		return old;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(scull_ioctl);

/*
 * VMA accounting. The kernel does not call ->open for a new mapping:
 * scull_mmap() counts it, as the book's driver does, and on 7.1+ the core
 * calls ->mapped after .mmap_prepare instead. ->open runs on fork, split
 * (partial munmap or mprotect) and mremap move; ->close runs for every VMA
 * the kernel removes, so the count stays exact (a merge since 6.6 may grow
 * a VMA, never remove one: the fault path checks the size).
 */
/* One more VMA line, unless they come faster than 10 per 5 s. */
static bool scull_vma_log(void)
{
	static DEFINE_RATELIMIT_STATE(rs, DEFAULT_RATELIMIT_INTERVAL,
				      DEFAULT_RATELIMIT_BURST);

	return !vma_log_limit || __ratelimit(&rs);
}

static void scull_vma_opened(struct scull_dev *dev)
{
	mutex_lock(&dev->lock);
	dev->vmas++;
	/* Logged under the lock, so the log shows the counts in order. */
	if (scull_vma_log())
		pr_info("%s: VMA open, vmas %d\n", dev->name, dev->vmas);
	mutex_unlock(&dev->lock);
}

static void scull_vma_open(struct vm_area_struct *vma)
{
	scull_vma_opened(vma->vm_private_data);
}

static void scull_vma_close(struct vm_area_struct *vma)
{
	struct scull_dev *dev = vma->vm_private_data;

	/* Never announced: 7.1+ closes a VMA whose mmap failed after prepare. */
	if (!dev)
		return;
	mutex_lock(&dev->lock);
	dev->vmas--;
	if (scull_vma_log())
		pr_info("%s: VMA close, vmas %d\n", dev->name, dev->vmas);
	mutex_unlock(&dev->lock);
}

/**
 * scull_lookup_page() - the page backing a page offset of a device
 * @dev: the device, mapped (dev->vmas > 0) so nothing below can be freed
 * @pgoff: offset in the device, in pages
 *
 * Takes no lock and does not sleep: it runs in the fault path, possibly
 * under rcu_read_lock() (fault-around).
 * Return: the page, or NULL past the end of the device or in a hole.
 */
static struct page *scull_lookup_page(struct scull_dev *dev, pgoff_t pgoff)
{
	/* Pairs with atomic64_set_release() in scull_write_iter(). */
	u64 size = atomic64_read_acquire(&dev->size);
	unsigned int order = dev->order;
	struct scull_quantum *quantum;

	if (pgoff >= DIV_ROUND_UP_ULL(size, PAGE_SIZE))
		return NULL;
	quantum = scull_find_quantum(dev, pgoff >> order);
	if (!quantum)
		return NULL;
	/* Every page of a multi-page quantum, not only its first one. */
	return quantum->pages[pgoff & ((1UL << order) - 1)];
}

/**
 * scull_map_range() - map the existing pages of a range of a VMA
 * @vmf: the read fault being handled
 * @start: first page offset to map (in the device, like vmf->pgoff)
 * @end: last page offset to map
 *
 * Holes and pages past the end are skipped and fault (SIGBUS) on their
 * own; the memory of a mapped device is never freed, so the pages stay
 * valid while mapped. Sleeps only if vm_insert_pages() has to allocate a
 * page table, that is if the PMD is empty.
 *
 * Neighbouring pages share a quantum (1 << order pages) and a set (qset
 * quanta), so each set and each quantum is looked up once per call, not
 * once per page as scull_lookup_page() would: fault-around maps a window
 * per call, and the page cache walks its xarray once per batch too.
 * Return: true if the faulting page itself was mapped.
 */
static bool scull_map_range(struct vm_fault *vmf, pgoff_t start, pgoff_t end)
{
	struct vm_area_struct *vma = vmf->vma;
	struct scull_dev *dev = vma->vm_private_data;
	/* Pairs with atomic64_set_release() in scull_write_iter(). */
	u64 size = atomic64_read_acquire(&dev->size);
	unsigned int order = dev->order, qset = dev->qset;
	unsigned long qnum, snum = ULONG_MAX, cur = ULONG_MAX;
	struct page *pages[LDD3_FAULT_AROUND_PAGES], *page;
	unsigned long addr, run_addr = 0, n = 0, want = ULONG_MAX;
	struct scull_quantum *set = NULL, *quantum = NULL;
	bool hit = false;
	pgoff_t pgoff;

	/* Nothing past the end of the data: it faults on its own (SIGBUS). */
	if (start >= DIV_ROUND_UP_ULL(size, PAGE_SIZE))
		return false;
	end = min_t(u64, end, DIV_ROUND_UP_ULL(size, PAGE_SIZE) - 1);
	addr = vma->vm_start + ((start - vma->vm_pgoff) << PAGE_SHIFT);
	for (pgoff = start; pgoff <= end; pgoff++, addr += PAGE_SIZE) {
		qnum = pgoff >> order;
		if (qnum != cur) {
			cur = qnum;
			if (qnum / qset != snum) {
				snum = qnum / qset;
				set = xa_load(&dev->sets, snum);
			}
			quantum = scull_quantum_in(set, qnum % qset);
		}
		/* Every page of a multi-page quantum, not only its first. */
		page = quantum ? quantum->pages[pgoff & ((1UL << order) - 1)] :
				 NULL;
		if (page) {
			if (!n)
				run_addr = addr;
			if (pgoff == vmf->pgoff)
				want = n;
			pages[n++] = page;
		}
		if (n && (!page || n == ARRAY_SIZE(pages) || pgoff == end)) {
			if (ldd3_insert_pages(vma, run_addr, pages, n, want))
				hit = true;
			n = 0;
			want = ULONG_MAX;
		}
	}
	return hit;
}

/**
 * scull_map_pages() - fault-around: map existing neighbours of a fault
 * @vmf: the read fault being handled
 * @start: first page offset to map (in the device, like vmf->pgoff)
 * @end: last page offset to map
 *
 * Called before ->fault for read faults, with mmap_lock or the VMA lock
 * held and, since 6.5, under rcu_read_lock(): nothing here may sleep.
 * vm_insert_pages() only sleeps to allocate a page table, so this does
 * nothing when the PMD is still empty: scull_around_fault() maps the
 * window then.
 * Return: VM_FAULT_NOPAGE if the faulting page itself was mapped, else 0
 * (the core then calls ->fault).
 */
static vm_fault_t scull_map_pages(struct vm_fault *vmf, pgoff_t start,
				  pgoff_t end)
{
	if (pmd_none(*vmf->pmd))
		return 0;
	return scull_map_range(vmf, start, end) ? VM_FAULT_NOPAGE : 0;
}

/**
 * scull_fault_around() - fault-around from ->fault
 * @vmf: a write fault in a shared mapping, or a read fault under an empty
 *	PMD, in a VM_MIXEDMAP (fault-around) mapping
 *
 * The core calls ->map_pages for read faults only. And it cannot map
 * anything under an empty PMD: it must not sleep to allocate the page
 * table, and the one the core preallocated (vmf->prealloc_pte) can only be
 * installed with helpers that mm/ keeps to itself, so the first read fault
 * in every 2 MiB would map a single page and the next one the rest of its
 * window: one fault more per 2 MiB. ->fault may sleep, so it maps the
 * window itself, as the page cache's ->map_pages does with the
 * preallocated table: the same 64 KiB aligned window, clipped to the VMA.
 * Return: true if the faulting page itself was mapped.
 */
static bool scull_fault_around(struct vm_fault *vmf)
{
	pgoff_t start, end;

	ldd3_fault_window(vmf, &start, &end);
	return scull_map_range(vmf, start, end);
}

/*
 * A hole or an offset past the end gets SIGBUS: never VM_FAULT_NOPAGE
 * without a PTE (the access would retry forever), never the zero page.
 */
static vm_fault_t scull_vma_fault(struct vm_fault *vmf)
{
	struct scull_dev *dev = vmf->vma->vm_private_data;
	struct page *page = scull_lookup_page(dev, vmf->pgoff);

	if (!page)
		return VM_FAULT_SIGBUS;
	return ldd3_fault_page(vmf, page);
}

/*
 * The fault handler of a fault-around mapping (VM_MIXEDMAP, which allows
 * vm_insert_pages() here). A write fault in a shared mapping maps its
 * window writable (->map_pages only sees read faults); a read fault gets
 * here when ->map_pages left it alone because the PMD was empty. Anything
 * else, and a page the window did not map, goes to scull_vma_fault().
 */
static vm_fault_t scull_around_fault(struct vm_fault *vmf)
{
	if (ldd3_fault_around_ok(vmf) &&
	    ((vmf->flags & FAULT_FLAG_WRITE) || pmd_none(*vmf->pmd)) &&
	    scull_fault_around(vmf))
		return VM_FAULT_NOPAGE;
	return scull_vma_fault(vmf);
}

/**
 * scull_huge_fault() - map a 2 MiB quantum with one PMD entry
 * @vmf: a fault in a mapping that scull_huge_vma() chose, which the core
 *	offers to map with a PMD
 * @order: the order of the entry (the PMD's)
 *
 * A scullp quantum of PMD order is one folio: where the fault's 2 MiB
 * block is one quantum, wholly inside the data, vmf_insert_folio_pmd()
 * maps it with a reference on the folio that the core drops at unmap,
 * writable for a write fault in a shared mapping. Anything else falls
 * back to scull_vma_fault(), 4 KiB at a time: a hole, the device's ragged
 * end, a block not aligned in the VMA, a private write (which copies one
 * page).
 * Return: VM_FAULT_NOPAGE, VM_FAULT_OOM, or VM_FAULT_FALLBACK.
 */
static vm_fault_t __maybe_unused scull_huge_fault(struct vm_fault *vmf,
						  unsigned int order)
{
	struct scull_dev *dev = vmf->vma->vm_private_data;
	/* Pairs with atomic64_set_release() in scull_write_iter(). */
	u64 size = atomic64_read_acquire(&dev->size);
	struct scull_quantum *quantum;
	pgoff_t first;

	if (!ldd3_pmd_fault_block(vmf, order, &first) ||
	    first + LDD3_PMD_PAGES > DIV_ROUND_UP_ULL(size, PAGE_SIZE))
		return VM_FAULT_FALLBACK;
	/* dev->order is LDD3_PMD_ORDER: it cannot change while mapped. */
	quantum = scull_find_quantum(dev, first >> LDD3_PMD_ORDER);
	if (!quantum)
		return VM_FAULT_FALLBACK;
	return ldd3_insert_folio_pmd(vmf, quantum->pages[0],
				     vmf->flags & FAULT_FLAG_WRITE);
}

/* Are the quanta of @dev folios of PMD order (ldd3_fault_page())? */
static bool scull_pmd_quanta(const struct scull_dev *dev)
{
	return dev->drv->ops->folio_quanta &&
	       READ_ONCE(dev->order) >= LDD3_PMD_ORDER;
}

/*
 * May a new mapping take PMD entries? If its quanta are folios of PMD
 * order and it holds one at an aligned address. Such a mapping is not
 * VM_MIXEDMAP (pmd_map.h): its 4 KiB faults map one page each, without
 * fault-around.
 */
static bool scull_huge_vma(const struct scull_dev *dev, unsigned long start,
			   unsigned long end, pgoff_t pgoff)
{
	return fault_around && scull_pmd_quanta(dev) &&
	       ldd3_vma_holds_pmd(start, end, pgoff);
}

LDD3_MAP_PAGES_WRAPPER(scull_map_pages)

static const struct vm_operations_struct scull_vm_ops = {
	.open = scull_vma_open,
	.close = scull_vma_close,
	.fault = scull_vma_fault,
};

static const struct vm_operations_struct scull_vm_ops_huge = {
	.open = scull_vma_open,
	.close = scull_vma_close,
	.fault = scull_vma_fault,
	.huge_fault = ldd3_huge_fault(scull_huge_fault),
};

static const struct vm_operations_struct scull_vm_ops_around = {
	.open = scull_vma_open,
	.close = scull_vma_close,
	.fault = scull_around_fault,
	.map_pages = ldd3_map_pages(scull_map_pages),
};

/**
 * scull_mmap() - set up a new mapping of a device
 * @filp: the open device
 * @vma: the new VMA
 *
 * Installs no page: the fault handler, scull_vma_fault(), finds each one.
 * Every order can be mapped (the book refused scullp orders above 0):
 * scullp allocates compound pages, so get_page() on any page of a quantum
 * is valid. With fault_around the VMA is VM_MIXEDMAP, which
 * vm_insert_pages() from the fault path needs, unless it can take PMD
 * entries (scull_huge_vma()); so is every VMA of 2 MiB quanta, for
 * ldd3_fault_page(). vm flags may only change now, before the VMA is
 * live. The .mmap method of kernels before 7.1.
 * Return: 0.
 */
int scull_mmap(struct file *filp, struct vm_area_struct *vma)
{
	if (scull_huge_vma(filp->private_data, vma->vm_start, vma->vm_end,
			   vma->vm_pgoff)) {
		vma->vm_ops = &scull_vm_ops_huge;
	} else if (fault_around) {
		ldd3_vm_flags_set(vma, VM_MIXEDMAP);
		vma->vm_ops = &scull_vm_ops_around;
	} else {
		if (scull_pmd_quanta(filp->private_data))
			ldd3_vm_flags_set(vma, VM_MIXEDMAP);
		vma->vm_ops = &scull_vm_ops;
	}
	vma->vm_private_data = filp->private_data;
	scull_vma_open(vma);
	return 0;
}
EXPORT_SYMBOL_GPL(scull_mmap);

#ifdef LDD3_HAVE_MMAP_PREPARE
/*
 * Linux 7.1 and later: .mmap_prepare describes the mapping before the VMA
 * exists (as scull_mmap() does), and the core announces the VMA with
 * ->mapped, which sets vm_private_data and counts it. This block and
 * LDD3_MMAP_OP() in SCULL_DEFINE_FOPS() are the version choice
 * (kernel_compat.h).
 */
static int scull_vma_mapped(unsigned long start, unsigned long end,
			    pgoff_t pgoff, const struct file *file,
			    void **vm_private_data)
{
	*vm_private_data = file->private_data;
	scull_vma_opened(file->private_data);
	return 0;
}

static const struct vm_operations_struct scull_prepared_vm_ops = {
	.open = scull_vma_open,
	.close = scull_vma_close,
	.fault = scull_vma_fault,
	.mapped = scull_vma_mapped,
};

static const struct vm_operations_struct scull_prepared_vm_ops_huge = {
	.open = scull_vma_open,
	.close = scull_vma_close,
	.fault = scull_vma_fault,
	.huge_fault = ldd3_huge_fault(scull_huge_fault),
	.mapped = scull_vma_mapped,
};

static const struct vm_operations_struct scull_prepared_vm_ops_around = {
	.open = scull_vma_open,
	.close = scull_vma_close,
	.fault = scull_around_fault,
	.map_pages = scull_map_pages,
	.mapped = scull_vma_mapped,
};

int scull_mmap_prepare(struct vm_area_desc *desc)
{
	if (scull_huge_vma(desc->file->private_data, desc->start, desc->end,
			   desc->pgoff)) {
		desc->vm_ops = &scull_prepared_vm_ops_huge;
	} else if (fault_around) {
		vma_desc_set_flags(desc, VMA_MIXEDMAP_BIT);
		desc->vm_ops = &scull_prepared_vm_ops_around;
	} else {
		if (scull_pmd_quanta(desc->file->private_data))
			vma_desc_set_flags(desc, VMA_MIXEDMAP_BIT);
		desc->vm_ops = &scull_prepared_vm_ops;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(scull_mmap_prepare);
#endif /* LDD3_HAVE_MMAP_PREPARE */

/* /proc/<name>mem: one line per device, no kernel addresses. */
static int scull_proc_show(struct seq_file *m, void *v)
{
	struct scull_driver *drv = m->private;
	struct scull_dev *dev;
	int i;

	for (i = 0; i < drv->params.devs; i++) {
		dev = &drv->devs[i];
		mutex_lock(&dev->lock);
		seq_printf(m, "%s: size %lld, qset %u, order %u, quanta %lu, vmas %d\n",
			   dev->name, (long long)atomic64_read(&dev->size),
			   dev->qset, dev->order, dev->quanta, dev->vmas);
		mutex_unlock(&dev->lock);
	}
	return 0;
}

/* Nodes are created 0600: device memory is shared by all who open it. */
static char *scull_devnode(LDD3_DEVNODE_CONST struct device *dev,
			   umode_t *mode)
{
	if (mode)
		*mode = 0600;
	return NULL;
}

/* The devices' nodes and memory; no file is open, so nothing is mapped. */
static void scull_remove_devs(struct scull_driver *drv, int count)
{
	struct scull_dev *dev;
	int i;

	for (i = count - 1; i >= 0; i--) {
		dev = &drv->devs[i];
		if (!IS_ERR_OR_NULL(dev->device))
			device_destroy(drv->class, drv->devt + i);
		mutex_lock(&dev->lock);
		scull_free_all(dev);
		mutex_unlock(&dev->lock);
		mutex_destroy(&dev->lock);
	}
}

static void scull_init_dev(struct scull_driver *drv, int i)
{
	struct scull_dev *dev = &drv->devs[i];

	snprintf(dev->name, sizeof(dev->name), "%s%d", drv->ops->name, i);
	dev->drv = drv;
	mutex_init(&dev->lock);
	init_rwsem(&dev->trim_sem);
	/* Its nodes are charged to the writer, like the quanta. */
	xa_init_flags(&dev->sets, XA_FLAGS_ACCOUNT);
	atomic64_set(&dev->size, 0);
	dev->order = drv->params.order;
	dev->qset = drv->params.qset;
}

/**
 * scull_register() - create the devices of a leaf module
 * @ops: the leaf's quantum operations (must outlive the registration)
 * @params: load-time parameters
 * @fops: file operations from SCULL_DEFINE_FOPS() in the leaf module
 *
 * Return: the driver handle for scull_unregister(), or an ERR_PTR().
 */
struct scull_driver *scull_register(const struct scull_mem_ops *ops,
				    const struct scull_params *params,
				    const struct file_operations *fops)
{
	struct scull_driver *drv;
	struct scull_dev *dev;
	char procname[40];
	int i, ret;

	if (params->devs < 1 || params->devs > SCULL_MAX_DEVS ||
	    params->order < 0 || params->order > SCULL_ORDER_MAX ||
	    params->qset < SCULL_QSET_MIN || params->qset > SCULL_QSET_MAX ||
	    params->major < 0) {
		pr_err("%s: devs must be 1..%d, order 0..%d, qset %d..%d, major >= 0\n",
		       ops->name, SCULL_MAX_DEVS, SCULL_ORDER_MAX,
		       SCULL_QSET_MIN, SCULL_QSET_MAX);
		return ERR_PTR(-EINVAL);
	}

	drv = kzalloc(sizeof(*drv), GFP_KERNEL);
	if (!drv)
		return ERR_PTR(-ENOMEM);
	drv->ops = ops;
	drv->params = *params;
	drv->fops = fops;
	drv->devs = kcalloc(params->devs, sizeof(*drv->devs), GFP_KERNEL);
	ret = -ENOMEM;
	if (!drv->devs)
		goto err_free;

	if (params->major) {
		drv->devt = MKDEV(params->major, 0);
		ret = register_chrdev_region(drv->devt, params->devs, ops->name);
	} else {
		ret = alloc_chrdev_region(&drv->devt, 0, params->devs,
					  ops->name);
	}
	if (ret) {
		pr_err("%s: cannot get a major number: %d\n", ops->name, ret);
		goto err_free;
	}

	drv->class = ldd3_class_create(ops->name);
	if (IS_ERR(drv->class)) {
		ret = PTR_ERR(drv->class);
		goto err_region;
	}
	drv->class->devnode = scull_devnode;

	for (i = 0; i < params->devs; i++)
		scull_init_dev(drv, i);
	snprintf(procname, sizeof(procname), "%smem", ops->name);
	drv->proc = proc_create_single_data(procname, 0444, NULL,
					    scull_proc_show, drv);
	ret = -ENOMEM;
	if (!drv->proc)
		goto err_devs;
	/* A node without its cdev cannot be opened yet (ENXIO). */
	for (i = 0; i < params->devs; i++) {
		dev = &drv->devs[i];
		dev->device = device_create(drv->class, NULL, drv->devt + i,
					    dev, "%s", dev->name);
		if (IS_ERR(dev->device)) {
			ret = PTR_ERR(dev->device);
			pr_err("%s: cannot add device %d: %d\n", ops->name, i,
			       ret);
			goto err_proc;
		}
	}
	/*
	 * Last, and in one step for every device: from here on a device can
	 * be opened, so nothing may fail after it. Were a later step to fail,
	 * the module would be freed under a file opened in between.
	 */
	cdev_init(&drv->cdev, fops);
	drv->cdev.owner = fops->owner;
	ret = cdev_add(&drv->cdev, drv->devt, params->devs);
	if (ret)
		goto err_proc;
	return drv;

err_proc:
	proc_remove(drv->proc);
err_devs:
	scull_remove_devs(drv, params->devs);
	class_destroy(drv->class);
err_region:
	unregister_chrdev_region(drv->devt, params->devs);
err_free:
	kfree(drv->devs);
	kfree(drv);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(scull_register);

/**
 * scull_unregister() - remove the devices of a leaf module and free them
 * @drv: handle returned by scull_register()
 *
 * Called from the leaf's module exit: no file of it is open, so nothing is
 * mapped.
 */
void scull_unregister(struct scull_driver *drv)
{
	cdev_del(&drv->cdev);
	proc_remove(drv->proc);
	scull_remove_devs(drv, drv->params.devs);
	class_destroy(drv->class);
	unregister_chrdev_region(drv->devt, drv->params.devs);
	kfree(drv->devs);
	kfree(drv);
}
EXPORT_SYMBOL_GPL(scull_unregister);

static int __init scull_core_init(void)
{
	unsigned long half_ram = (totalram_pages() / 2) << PAGE_SHIFT;

	if (!max_device_bytes)
		max_device_bytes = half_ram;
	if (!max_bytes)
		max_bytes = half_ram;
	return 0;
}

static void __exit scull_core_exit(void)
{
}

module_init(scull_core_init);
module_exit(scull_core_exit);

MODULE_AUTHOR("Alessandro Rubini, Jonathan Corbet; modern port: ldd3-mmap");
MODULE_DESCRIPTION("Shared core of scullp and scullv: storage, file and VMA operations");
MODULE_LICENSE("GPL");
MODULE_VERSION(LDD3_MMAP_VERSION);
