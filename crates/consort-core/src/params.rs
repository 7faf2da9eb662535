//! Hyperparameters checked once, at the boundary (linfa's `ParamGuard` with its checked
//! type).
//!
//! A settings struct implements [`ParamGuard`]: its [`check`](ParamGuard::check) names the
//! first bad value. [`ParamGuard::checked`] is the only way to make a [`Checked`] value, so
//! code that takes `&Checked<P>` holds settings that passed and never checks them again;
//! the public entry points (a `fit`, a loop's constructor, a file reader) check once and
//! hand the checked value down.
//!
//! The `ensure_*` helpers state the common rules and return an
//! [`InvalidConfig`](ConsortError::InvalidConfig) error naming the setting and its value.

use std::fmt::Display;
use std::ops::{Deref, RangeInclusive};

use crate::error::{ConsortError, Result};

/// Hyperparameters that check themselves once, before any fitting starts.
pub trait ParamGuard {
    /// Returns a [`ConsortError::InvalidConfig`] naming the first bad value.
    fn check(&self) -> Result<()>;

    /// Checks the settings and wraps them as [`Checked`].
    fn checked(self) -> Result<Checked<Self>>
    where
        Self: Sized,
    {
        self.check()?;
        Ok(Checked(self))
    }
}

/// Settings that passed their [`ParamGuard::check`]. Read-only: changing a setting means
/// taking the value out ([`into_inner`](Self::into_inner)) and checking it again.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked<P>(P);

impl<P> Checked<P> {
    /// The settings, unwrapped (to change and check again).
    pub fn into_inner(self) -> P {
        self.0
    }
}

impl<P: ParamGuard> Checked<P> {
    /// A part of these settings, as checked settings of its own: `P`'s check must check that
    /// part (the trainer's settings inside an estimator's, say), which its implementation
    /// promises by calling the part's own check.
    pub fn part<T>(&self, part: impl FnOnce(&P) -> T) -> Checked<T> {
        Checked(part(&self.0))
    }
}

impl<P: ParamGuard + Clone> Checked<P> {
    /// A changed copy, checked again: `checked.with(|c| c.seed = 7)`.
    pub fn with(&self, change: impl FnOnce(&mut P)) -> Result<Self> {
        let mut inner = self.0.clone();
        change(&mut inner);
        inner.checked()
    }
}

impl<P> Deref for Checked<P> {
    type Target = P;

    fn deref(&self) -> &P {
        &self.0
    }
}

impl<P> AsRef<P> for Checked<P> {
    fn as_ref(&self) -> &P {
        &self.0
    }
}

/// `key` must be at least `min` (counts: `n_trees >= 1`).
pub fn ensure_at_least(key: &str, value: usize, min: usize) -> Result<()> {
    if value < min {
        return Err(ConsortError::param(
            key,
            value,
            format!("must be at least {min}"),
        ));
    }
    Ok(())
}

/// `key` must lie in `range` (counts with an upper bound: `epochs` in `1..=100000`).
pub fn ensure_count_in(key: &str, value: usize, range: RangeInclusive<usize>) -> Result<()> {
    if !range.contains(&value) {
        return Err(ConsortError::param(
            key,
            value,
            format!("must lie in {}..={}", range.start(), range.end()),
        ));
    }
    Ok(())
}

/// `key` must be finite and strictly positive (rates, widths, temperatures).
pub fn ensure_positive<T: Into<f64> + Copy + Display>(key: &str, value: T) -> Result<()> {
    let v: f64 = value.into();
    if !(v.is_finite() && v > 0.0) {
        return Err(ConsortError::param(
            key,
            value,
            "must be a finite number above 0",
        ));
    }
    Ok(())
}

/// `key` must be finite and at least 0 (penalties, decays).
pub fn ensure_non_negative<T: Into<f64> + Copy + Display>(key: &str, value: T) -> Result<()> {
    let v: f64 = value.into();
    if !(v.is_finite() && v >= 0.0) {
        return Err(ConsortError::param(
            key,
            value,
            "must be a finite number >= 0",
        ));
    }
    Ok(())
}

/// `key` must lie in the interval from `low` to `high`; `closed` says which ends belong to it
/// (`(true, false)`: `[low, high)`).
pub fn ensure_within<T: Into<f64> + Copy + Display>(
    key: &str,
    value: T,
    low: f64,
    high: f64,
    closed: (bool, bool),
) -> Result<()> {
    let v: f64 = value.into();
    let above = if closed.0 { v >= low } else { v > low };
    let below = if closed.1 { v <= high } else { v < high };
    if !(v.is_finite() && above && below) {
        let (open, close) = (
            if closed.0 { '[' } else { '(' },
            if closed.1 { ']' } else { ')' },
        );
        return Err(ConsortError::param(
            key,
            value,
            format!("must lie in {open}{low}, {high}{close}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct Rate(f64);

    impl ParamGuard for Rate {
        fn check(&self) -> Result<()> {
            ensure_positive("rate", self.0)
        }
    }

    #[test]
    fn only_settings_that_pass_become_checked() {
        assert_eq!(*Rate(0.5).checked().unwrap(), Rate(0.5));
        let err = Rate(-1.0).checked().unwrap_err();
        match &err {
            ConsortError::InvalidConfig { key, value, .. } => {
                assert_eq!(key.as_deref(), Some("rate"));
                assert_eq!(value.as_deref(), Some("-1"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            err.to_string(),
            "invalid configuration: rate = -1: must be a finite number above 0"
        );
    }

    #[test]
    fn a_change_is_checked_again() {
        let rate = Rate(0.5).checked().unwrap();
        assert_eq!(*rate.with(|r| r.0 = 2.0).unwrap(), Rate(2.0));
        assert!(rate.with(|r| r.0 = f64::NAN).is_err());
    }

    #[test]
    fn the_rules_name_their_bounds() {
        assert!(ensure_count_in("epochs", 0, 1..=10).is_err());
        assert!(ensure_count_in("epochs", 10, 1..=10).is_ok());
        assert!(ensure_within("f", 1.0, 0.0, 1.0, (true, false)).is_err());
        assert!(ensure_within("f", 0.0, 0.0, 1.0, (true, false)).is_ok());
        let e = ensure_within("f", 1.5, 0.0, 1.0, (false, true)).unwrap_err();
        assert!(e.to_string().ends_with("must lie in (0, 1]"), "{e}");
        assert!(ensure_at_least("n", 0, 1).is_err());
        assert!(ensure_non_negative("d", 0.0f32).is_ok());
    }
}
