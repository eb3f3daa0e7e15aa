//! [`TransferSlots`]: a FIFO limit on concurrent transfers whose size can change at run time.
//!
//! A Tokio [`Semaphore`] hands out the slots in request order. Growing the limit adds permits.
//! Shrinking it forgets the free permits at once, and for permits that are held it records a
//! debt: each returned slot pays one unit of debt instead of going back, so running transfers
//! are never interrupted and the new limit holds once enough of them finished.

use std::sync::{Mutex, MutexGuard};

use tokio::sync::{Semaphore, SemaphorePermit};

/// Slots for concurrent transfers.
#[derive(Debug)]
pub(crate) struct TransferSlots {
    semaphore: Semaphore,
    state: Mutex<Limit>,
}

#[derive(Debug)]
struct Limit {
    /// The current limit.
    max: usize,
    /// Held permits to forget when they are returned, after a shrink.
    debt: usize,
}

/// One taken slot; dropping it frees the slot.
#[derive(Debug)]
pub(crate) struct TransferSlot<'a> {
    slots: &'a TransferSlots,
    permit: Option<SemaphorePermit<'a>>,
}

impl TransferSlots {
    /// Creates `max` slots.
    pub(crate) fn new(max: usize) -> Self {
        Self {
            semaphore: Semaphore::new(max),
            state: Mutex::new(Limit { max, debt: 0 }),
        }
    }

    fn state(&self) -> MutexGuard<'_, Limit> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Returns the current limit.
    pub(crate) fn max(&self) -> usize {
        self.state().max
    }

    /// Takes a slot when one is free now.
    pub(crate) fn try_acquire(&self) -> Option<TransferSlot<'_>> {
        self.semaphore
            .try_acquire()
            .ok()
            .map(|permit| self.wrap(permit))
    }

    /// Waits for a free slot, in request order.
    pub(crate) async fn acquire(&self) -> TransferSlot<'_> {
        // The semaphore is never closed, so `acquire` cannot fail.
        let permit = self
            .semaphore
            .acquire()
            .await
            .expect("the transfer semaphore is never closed");
        self.wrap(permit)
    }

    fn wrap<'a>(&'a self, permit: SemaphorePermit<'a>) -> TransferSlot<'a> {
        TransferSlot {
            slots: self,
            permit: Some(permit),
        }
    }

    /// Changes the limit to `max` (at least 1; the caller checks). Running transfers continue.
    pub(crate) fn set_max(&self, max: usize) {
        let mut state = self.state();
        if max > state.max {
            let grow = max - state.max;
            let paid = grow.min(state.debt);
            state.debt -= paid;
            self.semaphore.add_permits(grow - paid);
        } else {
            let shrink = state.max - max;
            let forgotten = self.semaphore.forget_permits(shrink);
            state.debt += shrink - forgotten;
        }
        state.max = max;
    }
}

impl Drop for TransferSlot<'_> {
    fn drop(&mut self) {
        let Some(permit) = self.permit.take() else {
            return;
        };
        let mut state = self.slots.state();
        if state.debt > 0 {
            state.debt -= 1;
            permit.forget();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_limit_holders() {
        let slots = TransferSlots::new(2);
        let first = slots.try_acquire();
        let second = slots.try_acquire();
        assert!(first.is_some());
        assert!(second.is_some());
        assert!(slots.try_acquire().is_none());
    }

    #[test]
    fn shrink_waits_for_running_transfers() {
        let slots = TransferSlots::new(2);
        let first = slots.try_acquire().unwrap();
        let second = slots.try_acquire().unwrap();

        slots.set_max(1);
        drop(first);
        assert!(
            slots.try_acquire().is_none(),
            "the returned slot paid the debt"
        );

        drop(second);
        let third = slots.try_acquire();
        assert!(third.is_some());
        assert!(slots.try_acquire().is_none());
        assert_eq!(slots.max(), 1);
    }

    #[test]
    fn shrink_forgets_free_slots() {
        let slots = TransferSlots::new(3);
        slots.set_max(1);
        let only = slots.try_acquire();
        assert!(only.is_some());
        assert!(slots.try_acquire().is_none());
    }

    #[test]
    fn grow_pays_debt_first() {
        let slots = TransferSlots::new(2);
        let first = slots.try_acquire().unwrap();
        let second = slots.try_acquire().unwrap();
        slots.set_max(1);
        slots.set_max(3);
        assert!(slots.try_acquire().is_some());

        drop(first);
        drop(second);
        let held: Vec<_> = std::iter::from_fn(|| slots.try_acquire()).take(4).collect();
        assert_eq!(held.len(), 3);
    }

    #[tokio::test]
    async fn grow_wakes_waiter() {
        let slots = std::sync::Arc::new(TransferSlots::new(1));
        let _held = slots.try_acquire().unwrap();
        let waiter = {
            let slots = std::sync::Arc::clone(&slots);
            tokio::spawn(async move {
                let _slot = slots.acquire().await;
            })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());

        slots.set_max(2);
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("the waiter got the new slot")
            .unwrap();
    }
}
