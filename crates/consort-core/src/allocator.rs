//! The memory allocator's behaviour for tensor work, chosen by a binary for its process.
//!
//! A network's forward pass allocates and frees tensors of tens of megabytes (MiniLM: 25 MB
//! per attention-score and feed-forward tensor, a few dozen per batch). glibc serves blocks
//! that large with `mmap` and returns them with `munmap` (or trims the heap top), so each
//! allocation pays page faults to touch fresh memory again: measured on MiniLM embeddings,
//! 22 sentences/s with the defaults against 28 with freed memory kept (2 cores, same run).
//! Deep-learning runtimes keep a cache of freed blocks for the same reason.

/// Keeps freed memory in the process for reuse instead of returning every large block to the
/// operating system (glibc on Linux: the `mmap` and trim thresholds raised to 1 GiB). The
/// resident size then reflects the peak of the work rather than its current need. A
/// process-wide setting: the `consort` binary, the examples and the benchmarks call it at
/// start; a library never does. Elsewhere it does nothing.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const THRESHOLD: libc::c_int = 1 << 30;
        // SAFETY: mallopt only adjusts glibc's allocator parameters; it is safe to call at
        // any time, and a refused value leaves the defaults in place.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, THRESHOLD);
            libc::mallopt(libc::M_TRIM_THRESHOLD, THRESHOLD);
        }
    }
}
