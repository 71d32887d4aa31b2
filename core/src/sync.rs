//! Locking shared state that must outlive a panic.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`, recovering it if a holder panicked. For state that each
/// mutation leaves whole before anything that could panic (a cache, a
/// simulator's tables): one panicking request must not turn every later
/// one into a panic.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
