//! The places of the runs of `x` (how many runs of `y` lie below each `x − d`) at the shifts of
//! recent counting passes, kept for gathering bands and quiet intervals later.

/// A ring of the places of the last passes, all in one buffer: a pass overwrites the oldest
/// pass's places once every slot is used, so no pass allocates.
#[derive(Debug, Clone, Default)]
pub(super) struct KeptPlaces {
    /// Runs of `x`: the length of one pass's places.
    width: usize,
    /// Most passes kept (at least 1).
    slots: usize,
    /// The places, `width` a slot, slot after slot; grown as slots are first used.
    buffer: Vec<u32>,
    /// The shift of each slot used so far; NaN while a slot is being filled (no shift looked up
    /// is NaN, so a pass that fails leaves no places behind).
    shifts: Vec<f64>,
    /// The slot the last pass begun writes (0 before the first). Slots are filled in turn, so
    /// the slot `k` places before it (cyclically) holds the pass begun `k` passes before, and
    /// the next pass takes the one after it.
    filling: usize,
}

impl KeptPlaces {
    /// Room for the places of `slots` passes (at least 1) over `width` runs of `x`.
    pub(super) fn new(width: usize, slots: usize) -> KeptPlaces {
        KeptPlaces {
            width,
            slots: slots.max(1),
            ..KeptPlaces::default()
        }
    }

    /// The slot for the next pass's places, which replace the oldest pass's once all slots are
    /// used; its contents are stale until the pass writes them, and it is found by no shift
    /// until [`KeptPlaces::commit`].
    pub(super) fn begin(&mut self) -> &mut [u32] {
        let after = self.filling + 1;
        let slot = if self.shifts.is_empty() || after == self.slots {
            0
        } else {
            after
        };
        self.filling = slot;
        if self.buffer.is_empty() {
            self.buffer.reserve_exact(self.slots * self.width);
        }
        let range = slot * self.width..(slot + 1) * self.width;
        if self.buffer.len() < range.end {
            self.buffer.resize(range.end, 0);
        }
        if let Some(shift) = self.shifts.get_mut(slot) {
            *shift = f64::NAN;
        } else {
            self.shifts.push(f64::NAN);
        }
        &mut self.buffer[range]
    }

    /// Marks the places written since the last [`KeptPlaces::begin`] as those at shift `d`.
    pub(super) fn commit(&mut self, d: f64) {
        if let Some(shift) = self.shifts.get_mut(self.filling) {
            *shift = d;
        }
    }

    /// The slot holding the places of the pass at the shift `v` (the same bits), if kept.
    pub(super) fn slot_of(&self, v: f64) -> Option<usize> {
        self.shifts.iter().position(|s| s.to_bits() == v.to_bits())
    }

    /// True when `slot` holds one of the last `passes` passes' places.
    pub(super) fn is_recent(&self, slot: usize, passes: usize) -> bool {
        // (Slots in use are below `slots`, so the subtraction cannot underflow.)
        slot < self.shifts.len() && (self.filling + self.slots - slot) % self.slots < passes
    }

    /// The places in `slot`.
    pub(super) fn places(&self, slot: usize) -> &[u32] {
        self.buffer
            .get(slot * self.width..(slot + 1) * self.width)
            .unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_pass_is_replaced_and_a_failed_one_leaves_nothing() {
        let mut kept = KeptPlaces::new(2, 3);
        for (k, d) in [0.5, 1.5, 2.5, 3.5].into_iter().enumerate() {
            kept.begin().fill(k as u32);
            kept.commit(d);
        }
        // 0.5 was replaced by 3.5; 1.5, 2.5 and 3.5 are kept, 3.5 and 2.5 the last two.
        assert_eq!(kept.slot_of(0.5), None);
        let slot = kept.slot_of(3.5).expect("kept");
        assert_eq!(kept.places(slot), &[3, 3]);
        assert!(kept.is_recent(slot, 1));
        let older = kept.slot_of(1.5).expect("kept");
        assert_eq!(kept.places(older), &[1, 1]);
        assert!(kept.is_recent(kept.slot_of(2.5).expect("kept"), 2));
        assert!(!kept.is_recent(older, 2));
        assert!(kept.is_recent(older, 3));
        // A pass begun and never committed takes the oldest slot and is found by no shift.
        kept.begin().fill(9);
        assert_eq!(kept.slot_of(1.5), None);
        assert!(kept.shifts.iter().any(|s| s.is_nan()));
        assert_eq!(kept.places(kept.slot_of(2.5).expect("kept")), &[2, 2]);
    }
}
