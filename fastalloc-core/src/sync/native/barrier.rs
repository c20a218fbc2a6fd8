//! Asymmetric barriers: a cheap one for the common side of a protocol, an expensive one for
//! the rare side, which together order memory as two `SeqCst` fences would (see
//! [`BiasedLock`](super::BiasedLock), their one user).
//!
//! On Linux the expensive side is `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`: the kernel
//! interrupts every CPU that runs a thread of this process and has it execute a full memory
//! barrier before the call returns. So the common side needs no barrier instruction of its
//! own, only a compiler fence that keeps the compiler from moving its accesses across: whatever
//! the common side did before the point where the interrupt hit it is visible to the rare side
//! after the call, and whatever it does after that point sees what the rare side did before the
//! call. (A thread that is not running at that moment went through the kernel's scheduler,
//! which is a full barrier too.) This is folly's `asymmetricHeavyBarrier`/`LightBarrier` and the
//! scheme of Linux's userspace RCU.
//!
//! Where the call is missing (other systems, kernels before 4.14, seccomp filters that refuse
//! it), or when `FASTALLOC_NO_MEMBARRIER` is set in the environment (so tests can run the other
//! path), or when a pool is built with `.membarrier(false)`, both sides are a `SeqCst` fence,
//! which costs the common side about what an atomic read-modify-write costs. Each protocol
//! (each cache's lock) chooses once, when it is made, and both of its sides follow that choice.
//!
//! Miri cannot make system calls of this kind, so under Miri both sides are always fences.

use super::{fence, OnceLock, Ordering};

/// Whether the heavy barrier is `membarrier` in this process: asked once (registering the
/// process with the kernel), `false` under `FASTALLOC_NO_MEMBARRIER`. A protocol chooses its
/// mode when it is set up and keeps it; both sides must use the same one.
pub(crate) fn membarrier_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        std::env::var_os("FASTALLOC_NO_MEMBARRIER").is_none() && membarrier::register()
    })
}

/// The common side: orders the caller's accesses before and after it against a [`heavy`] on
/// another thread as if both were `SeqCst` fences. `fenced` is the protocol's mode: `false`
/// only if [`membarrier_available`] returned `true`.
#[inline]
pub(crate) fn light(fenced: bool) {
    if fenced {
        fence(Ordering::SeqCst);
    } else {
        std::sync::atomic::compiler_fence(Ordering::SeqCst);
    }
}

/// The rare side: see [`light`]. Takes microseconds with `membarrier` (an interrupt per CPU
/// that runs one of the process's threads).
pub(crate) fn heavy(fenced: bool) {
    if fenced {
        fence(Ordering::SeqCst);
    } else {
        membarrier::expedited();
    }
}

#[cfg(all(target_os = "linux", not(miri)))]
mod membarrier {
    // The commands of `membarrier(2)` (linux/membarrier.h).
    const CMD_QUERY: libc::c_long = 0;
    const CMD_PRIVATE_EXPEDITED: libc::c_long = 1 << 3;
    const CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_long = 1 << 4;

    fn call(command: libc::c_long) -> libc::c_long {
        // SAFETY: `membarrier(cmd, flags, cpu_id)` reads no memory of ours; with flags 0 the
        // third argument is ignored. It returns -1 and sets errno when refused.
        unsafe {
            libc::syscall(
                libc::SYS_membarrier,
                command,
                0 as libc::c_long,
                0 as libc::c_long,
            )
        }
    }

    /// Registers the process for the expedited barrier; whether it is available.
    pub(super) fn register() -> bool {
        let supported = call(CMD_QUERY);
        supported >= 0
            && supported & CMD_PRIVATE_EXPEDITED != 0
            && call(CMD_REGISTER_PRIVATE_EXPEDITED) == 0
    }

    pub(super) fn expedited() {
        // The kernel documents no failure for a registered process; should one happen anyway,
        // the barrier has not been made, and going on would break the other side's ordering.
        let result = call(CMD_PRIVATE_EXPEDITED);
        assert!(
            result == 0,
            "membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) failed after registration: {}",
            std::io::Error::last_os_error()
        );
    }
}

#[cfg(not(all(target_os = "linux", not(miri))))]
mod membarrier {
    pub(super) fn register() -> bool {
        false
    }

    pub(super) fn expedited() {
        unreachable!("membarrier is never registered here");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `.ci/run` runs the shared-pool tests once with `FASTALLOC_NO_MEMBARRIER` set: this
    /// checks that the variable is obeyed, and otherwise that the machine CI runs on (Linux
    /// 4.14 or later, not under Miri) offers the fast path the benches measure.
    #[test]
    fn membarrier_is_used_unless_turned_off() {
        if std::env::var_os("FASTALLOC_NO_MEMBARRIER").is_some() {
            assert!(!membarrier_available());
        } else if cfg!(all(target_os = "linux", not(miri))) {
            assert!(
                membarrier_available(),
                "membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) refused: the shared pools fence"
            );
        }
    }

    #[test]
    fn both_barriers_run_in_both_modes() {
        for fenced in [true, !membarrier_available()] {
            light(fenced);
            heavy(fenced);
        }
    }
}
