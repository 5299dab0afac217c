//! Large buffers (a 10 MB file, its index) backed by huge pages where the kernel offers them.
//!
//! Filling fresh memory costs a page fault per 4 KiB page; on a virtual machine that is the
//! biggest single cost of loading a 10 MB domain (thousands of faults). Linux backs memory
//! with 2 MiB pages when asked (`madvise(MADV_HUGEPAGE)`; transparent huge pages are often
//! "madvise" only), which takes 512 times fewer faults. No crate does this for a `Vec`; it is
//! a hint, and where it is refused nothing changes. `VIRT_CPU_NO_HUGE_PAGES=1` turns it off
//! (to compare, or where the kernel stalls compacting memory for huge pages).

/// Below this, 4 KiB pages are as good.
const WORTH_IT: usize = 4 << 20;

/// A `Vec` with room for `capacity` entries, backed by huge pages when it is large.
pub fn large_vec<T>(capacity: usize) -> Vec<T> {
    let v = Vec::with_capacity(capacity);
    advise_huge(v.as_ptr() as usize, v.capacity() * std::mem::size_of::<T>());
    v
}

/// Asks for huge pages over the 2 MiB-aligned part of `[start, start + len)`.
fn advise_huge(start: usize, len: usize) {
    const HUGE: usize = 2 << 20;
    if len < WORTH_IT || std::env::var_os("VIRT_CPU_NO_HUGE_PAGES").is_some() {
        return;
    }
    let first = start.next_multiple_of(HUGE);
    let end = (start + len) / HUGE * HUGE;
    if end > first {
        // SAFETY: the range lies inside an allocation we own and have not touched; madvise
        // only changes how the kernel backs it, never its contents or validity.
        unsafe {
            libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
        }
    }
}
