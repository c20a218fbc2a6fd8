//! [`BiasedLock`]: mutual exclusion that costs its owner thread no atomic read-modify-write.
//!
//! A `ThreadSafePool`'s cache is used by one thread (its owner) millions of times a second and
//! by other threads (visitors: a thread that found the pool exhausted, `close`, `stats`) once
//! in a long while. A lock that takes an atomic swap on each use made the owner pay 8–12 ns
//! per operation on an AMD EPYC under KVM (issue 16) for protection it almost never needed.
//! This lock puts the whole cost on the visitor, with Dekker's handshake between the two sides
//! and asymmetric barriers ([`barrier`]) in the middle:
//!
//! ```text
//! owner                               visitor (holds `slow`)
//! busy = true                         visitors |= VISITOR
//! barrier::light()                    barrier::heavy()
//! if visitors != 0 → slow path        wait while busy
//! ... the data ...                    ... the data ...
//! busy = false (release)              visitors &= !VISITOR (release)
//! ```
//!
//! The two barriers order each side's store before its load as two `SeqCst` fences would, so
//! the two loads cannot both miss the other side's store: either the owner sees the visitor
//! and steps aside (it clears `busy` and waits for `slow`, which the visitor holds), or the
//! visitor sees the owner busy and waits until it is done; both may happen, and then the owner
//! still steps aside, so neither waits for the other forever. The owner's section is a few
//! instructions that never block, so the visitor's wait is short. The release stores at the
//! end of each side, read by the other side's acquire loads (or passed through `slow`), make
//! what one side wrote visible to the next.
//!
//! A lock made with [`BiasedLock::shared`] has no owner: its visitor flag is set for good, so
//! every use takes `slow`, and any number of threads may use it in turn.

use super::{barrier, pause, AtomicU8, AtomicUsize, Mutex, MutexGuard, Ordering};

/// A visitor holds, or is about to hold, the lock.
const VISITOR: u8 = 1;
/// The lock has no owner: every user takes the slow path.
const SHARED: u8 = 2;
/// Both sides fence (no `membarrier`): the owner's fast path finds this bit set and makes its
/// fence on the slow path, so the inlined fast path carries no fence and no test of the mode.
const FENCED: u8 = 4;
/// Set for good by a visitor (a pool's `close`): [`BiasedLock::try_with_owner`] fails from
/// then on, so its caller learns of it with the test it makes anyway.
const CLOSED: u8 = 8;
/// Set by a visitor while threads wait in a pool's `allocate_timeout`, cleared by the visitor
/// that ends the wait: the owner's fast path fails meanwhile, so a release goes the slow way,
/// where it hands its object to the first waiter. No test on the fast path pays for it.
const WAITING: u8 = 16;

/// A lock whose owner thread takes it with plain stores and loads; see the module docs.
///
/// It guards nothing itself (like `lock_api`'s raw locks): the data lives beside it, and its
/// users access the data only inside [`with_owner`](Self::with_owner) or while holding a
/// [`VisitGuard`].
#[derive(Debug)]
pub(crate) struct BiasedLock {
    /// Non-zero while the owner is in a section taken on the fast path. A word, not a
    /// `bool`: with a one-byte flag the round trip of a `ThreadSafePool` took 7.6 ns against
    /// 6.1 ns with a word, in the same run (AMD EPYC under KVM; a byte store next to the word
    /// loads of the cache seems to cost the store-to-load path more).
    busy: AtomicUsize,
    /// `VISITOR` while a visitor has or wants the lock; `SHARED`, `FENCED`, `CLOSED` for good;
    /// `WAITING` while threads wait. The owner's fast path needs it to be 0 (or `FENCED`).
    visitors: AtomicU8,
    /// Held by a visitor through its visit, and by an owner that found the lock visited.
    slow: Mutex<()>,
}

impl BiasedLock {
    /// A lock whose owner is the one thread that calls [`with_owner`](Self::with_owner).
    /// With `fenced` (or where `membarrier` is unavailable), both sides fence.
    pub(crate) fn new(fenced: bool) -> Self {
        let fenced = fenced || !barrier::membarrier_available();
        Self {
            busy: AtomicUsize::new(0),
            visitors: AtomicU8::new(if fenced { FENCED } else { 0 }),
            slow: Mutex::new(()),
        }
    }

    /// A lock without an owner: [`with_owner`](Self::with_owner) may be called from any
    /// thread, each call taking the slow path.
    pub(crate) fn shared() -> Self {
        Self {
            visitors: AtomicU8::new(SHARED | FENCED),
            ..Self::new(true)
        }
    }

    /// Whether this lock's visitors must make the heavy barrier with `membarrier` (see
    /// [`barrier::heavy`]): `false` for a fenced lock.
    pub(crate) fn fenced(&self) -> bool {
        self.visitors.load(Ordering::Relaxed) & FENCED != 0
    }

    /// Whether a visitor marked the lock closed ([`VisitGuard::close`]).
    pub(crate) fn is_closed(&self) -> bool {
        self.visitors.load(Ordering::Relaxed) & CLOSED != 0
    }

    /// Whether a visitor marked the lock as waited on ([`VisitGuard::set_waiting`]).
    pub(crate) fn is_waiting(&self) -> bool {
        self.visitors.load(Ordering::Relaxed) & WAITING != 0
    }

    /// Runs `f` as the lock's owner, excluding every visitor.
    ///
    /// # Safety
    ///
    /// Unless the lock was made by [`shared`](Self::shared), no other thread may be inside
    /// `with_owner` of this lock at the same time: calls come from one thread at a time (the
    /// owner), and a new owner must be ordered after the previous one by some other
    /// synchronisation (a lock, a thread join). `f` must not call `with_owner` or visit this
    /// lock.
    #[inline]
    pub(crate) unsafe fn with_owner<R>(&self, f: impl FnOnce() -> R) -> R {
        self.busy.store(1, Ordering::Relaxed);
        // The `membarrier` mode's light barrier; a fenced lock fences on the slow path.
        barrier::light(false);
        if self.visitors.load(Ordering::Acquire) != 0 {
            return self.with_owner_slow(f);
        }
        let _busy = Busy(&self.busy);
        f()
    }

    /// [`with_owner`](Self::with_owner)'s fast path alone: `None`, without running `f`, when
    /// it cannot be taken (a visitor, a fenced, shared or closed lock); the caller then goes
    /// its own slow way, with `with_owner`. One call site less than `with_owner` where it is
    /// inlined: what let a `ThreadSafePool` guard's drop be inlined again (issue 16).
    ///
    /// # Safety
    ///
    /// As for [`with_owner`](Self::with_owner).
    #[inline]
    pub(crate) unsafe fn try_with_owner<R>(&self, f: impl FnOnce() -> R) -> Option<R> {
        self.busy.store(1, Ordering::Relaxed);
        barrier::light(false);
        let visitors = self.visitors.load(Ordering::Acquire);
        // A fenced lock makes its fence here and looks again (the fallback path stays inline:
        // through the caller's slow path it took 13 ns a round trip instead of 9).
        if visitors != 0
            && (visitors != FENCED || {
                barrier::light(true);
                self.visitors.load(Ordering::Acquire) != FENCED
            })
        {
            // Stepping aside, as on `with_owner`'s slow path.
            self.busy.store(0, Ordering::Release);
            return None;
        }
        let _busy = Busy(&self.busy);
        Some(f())
    }

    /// The owner found a visitor, or the lock is fenced, shared or closed: fence and look
    /// again, or step aside and take `slow`.
    #[cold]
    #[inline(never)]
    fn with_owner_slow<R>(&self, f: impl FnOnce() -> R) -> R {
        let mode = self.visitors.load(Ordering::Relaxed);
        if mode & !(FENCED | CLOSED) == 0 && mode & FENCED != 0 {
            // The fenced mode's light barrier, between the store of `busy` and this load:
            // the handshake as with two `SeqCst` fences.
            barrier::light(true);
            if self.visitors.load(Ordering::Acquire) & !(FENCED | CLOSED) == 0 {
                let _busy = Busy(&self.busy);
                return f();
            }
        }
        // Stepping aside is what lets a visitor that saw `busy` go on: both may have seen
        // each other, and the visitor holds `slow` until its visit ends.
        self.busy.store(0, Ordering::Release);
        let _slow = self.slow.lock();
        f()
    }

    /// Announces a visit: takes `slow` and raises the visitor flag. The visitor may touch the
    /// data only after a [`barrier::heavy`] in this lock's mode (an unfenced one serves every
    /// lock) that follows this call, and [`Request::admit`]. Several requests can share one
    /// heavy barrier (a visit of every cache of a pool).
    pub(crate) fn request(&self) -> Request<'_> {
        let slow = self.slow.lock();
        self.visitors.fetch_or(VISITOR, Ordering::Relaxed);
        Request { lock: self, slow }
    }
}

/// Clears the owner's `busy` when its section ends, even if it unwinds, so that a visitor
/// never waits forever.
struct Busy<'a>(&'a AtomicUsize);

impl Drop for Busy<'_> {
    #[inline]
    fn drop(&mut self) {
        self.0.store(0, Ordering::Release);
    }
}

/// A visit announced by [`BiasedLock::request`], not admitted yet.
#[must_use = "a request holds the lock's slow path until it is admitted and the visit ends"]
pub(crate) struct Request<'a> {
    lock: &'a BiasedLock,
    slow: MutexGuard<'a, ()>,
}

impl<'a> Request<'a> {
    /// Waits for the owner to leave its section, if it is in one. Call it only after a
    /// [`barrier::heavy`] made after the request.
    pub(crate) fn admit(self) -> VisitGuard<'a> {
        let mut round = 0;
        while self.lock.busy.load(Ordering::Acquire) != 0 {
            pause(&mut round);
        }
        VisitGuard {
            lock: self.lock,
            _slow: self.slow,
        }
    }
}

/// A visit in progress: the data is the visitor's until this drops.
#[must_use = "the visit ends when the guard drops"]
pub(crate) struct VisitGuard<'a> {
    lock: &'a BiasedLock,
    _slow: MutexGuard<'a, ()>,
}

impl VisitGuard<'_> {
    /// Marks the lock closed for good (see [`BiasedLock::try_with_owner`]).
    pub(crate) fn close(&self) {
        self.lock.visitors.fetch_or(CLOSED, Ordering::Relaxed);
    }

    /// Marks the lock as waited on, or not: while marked, [`BiasedLock::try_with_owner`]
    /// fails, as for a closed lock.
    pub(crate) fn set_waiting(&self, waiting: bool) {
        if waiting {
            self.lock.visitors.fetch_or(WAITING, Ordering::Relaxed);
        } else {
            self.lock.visitors.fetch_and(!WAITING, Ordering::Relaxed);
        }
    }
}

impl Drop for VisitGuard<'_> {
    fn drop(&mut self) {
        // Release: the owner's next acquire load of the flag sees what the visit wrote.
        // (`slow` is released after this, when the field drops.)
        self.lock.visitors.fetch_and(!VISITOR, Ordering::Release);
    }
}
