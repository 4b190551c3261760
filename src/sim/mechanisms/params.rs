//! Shared plumbing for the mechanisms' per-node parameters and recordable states, so
//! that each mechanism file holds only its equations.
//!
//! `columns!` declares a structure-of-arrays table (one `Vec<f64>` per named
//! quantity, indexed by position in the mechanism's `nodes`) and implements [`Table`]
//! for it; `mechanism_tables!` writes the name/parameter/state methods of
//! [`Mechanism`](super::Mechanism) for a struct with fields `nodes`, `p` (parameters)
//! and `s` (states).

use super::{ParamError, check_value};

/// A parameter of a mechanism: NEURON's name, unit, default and the values it takes
/// (`min..=max`). Each mechanism's file declares its own, once; the catalogue lists
/// them from there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Param {
    pub name: &'static str,
    /// NEURON's unit: `S/cm2`, `mV`, `ms`, `um`, `mM`, `mA/cm2`, or `1`.
    pub unit: &'static str,
    pub default: f64,
    pub min: f64,
    pub max: f64,
}

impl Param {
    /// Whether this is a conductance density (S/cm2): what the panel's channel sliders
    /// and the drugs act on.
    pub fn is_density(&self) -> bool {
        self.unit == "S/cm2"
    }

    /// Why `value` is refused, in words: `gnabar must not be negative, got -1`, `gnabar
    /// must be within 0..=100 S/cm2, got 1200`.
    pub fn refusal(&self, value: f64) -> String {
        let name = self.name;
        if value < 0.0 && self.min == 0.0 {
            return format!("{name} must not be negative, got {value}");
        }
        let unit = if self.unit == "1" { String::new() } else { format!(" {}", self.unit) };
        format!("{name} must be within {}..={}{unit}, got {value}", self.min, self.max)
    }

    /// Checks `value` against the bounds (`mechanism` names it in the error).
    pub fn check(&self, mechanism: &str, value: f64) -> Result<(), ParamError> {
        if value.is_finite() && value >= self.min && value <= self.max {
            return Ok(());
        }
        Err(ParamError::Bounds { mechanism: mechanism.into(), param: *self, value })
    }
}

/// A parameter `name` in `unit`, `default`, taking `min..=max`.
pub const fn p(name: &'static str, unit: &'static str, default: f64, min: f64, max: f64) -> Param {
    Param { name, unit, default, min, max }
}

/// A conductance density (S/cm2) from 0 to 100 S/cm2 (Hay's densest, the axon's Na+,
/// is 3.1; a larger value is a typing error).
pub const fn g(name: &'static str, default: f64) -> Param {
    p(name, "S/cm2", default, 0.0, 100.0)
}

/// A potential (mV) within +-200 mV.
pub const fn mv(name: &'static str, default: f64) -> Param {
    p(name, "mV", default, -200.0, 200.0)
}

/// A time (ms) from `min` to 1e5 ms.
pub const fn ms(name: &'static str, default: f64, min: f64) -> Param {
    p(name, "ms", default, min, 1e5)
}

/// The smallest positive time constant (ms) a parameter may take.
pub const TAU_MIN: f64 = 1e-6;

/// The names of `params`, in order.
pub fn names_of(params: &[Param]) -> Vec<&'static str> {
    params.iter().map(|p| p.name).collect()
}

/// Temperature factor of every Hay et al. 2011 channel that has one:
/// qt = 2.3^((34 - 21)/10), fixed at 34 degC whatever `celsius` is (docs/biophysics.md 5).
/// It divides the time constants only.
pub const HAY_QT: f64 = 2.952882641412121;

/// Which values a parameter accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// Any finite number (reversal potentials, thresholds, shifts).
    Any,
    /// Finite and >= 0 (conductances, weights).
    NonNegative,
    /// Finite and > 0 (time constants, depths: they divide).
    Positive,
}

/// A table of states: their NEURON names.
pub trait Named {
    fn names(&self) -> &'static [&'static str];
}

/// A table of parameters: their descriptions.
pub trait Specified {
    fn params(&self) -> &'static [Param];
}

/// A table of named per-node columns: what `columns!` generates.
pub trait Table {
    /// NEURON names of the columns, in declaration order (for a message).
    fn known(&self) -> Vec<&'static str>;
    /// A column by NEURON name (or by the Rust field name).
    fn column(&self, name: &str) -> Option<&[f64]>;
    /// A column by NEURON name (or by the Rust field name), with the values it accepts.
    fn column_mut(&mut self, name: &str) -> Option<(&mut [f64], Range)>;
}

fn check(mech: &str, name: &str, value: f64, range: Range) -> Result<(), ParamError> {
    check_value(mech, name, value, range != Range::Any)?;
    if range == Range::Positive && value <= 0.0 {
        return Err(ParamError::value(mech, name, value, "be positive"));
    }
    Ok(())
}

fn column<'a, T: Table>(
    mech: &str,
    t: &'a mut T,
    name: &str,
    value: f64,
) -> Result<&'a mut [f64], ParamError> {
    let known = t.known();
    let Some((col, range)) = t.column_mut(name) else {
        return Err(ParamError::UnknownParam { mechanism: mech.into(), name: name.into(), known });
    };
    check(mech, name, value, range)?;
    Ok(col)
}

/// Sets parameter `name` to `value` on every node: every element of the column, or with
/// a [`Layout`](super::layout::Layout) the elements at its nodes' `positions` (not the
/// padding between them).
pub fn set_all<T: Table>(
    mech: &str,
    t: &mut T,
    name: &str,
    value: f64,
    positions: Option<&[u32]>,
) -> Result<(), ParamError> {
    let col = column(mech, t, name, value)?;
    match positions {
        None => col.iter_mut().for_each(|x| *x = value),
        Some(pos) => pos.iter().for_each(|&p| col[p as usize] = value),
    }
    Ok(())
}

/// Sets parameter `name` to `value` on the node at `index` (through `positions` with a
/// layout).
pub fn set_at<T: Table>(
    mech: &str,
    t: &mut T,
    name: &str,
    index: usize,
    value: f64,
    positions: Option<&[u32]>,
) -> Result<(), ParamError> {
    let col = column(mech, t, name, value)?;
    let at = match positions {
        None => Some(index),
        Some(pos) => pos.get(index).map(|&p| p as usize),
    };
    match at.and_then(|p| col.get_mut(p)) {
        Some(x) => {
            *x = value;
            Ok(())
        }
        None => Err(ParamError::node_index(mech, index)),
    }
}

/// The value of column `name` at the node at `index` (through `positions` with a layout).
pub fn get<T: Table>(t: &T, name: &str, index: usize, positions: Option<&[u32]>) -> Option<f64> {
    let at = match positions {
        None => index,
        Some(pos) => *pos.get(index)? as usize,
    };
    t.column(name)?.get(at).copied()
}

/// Declares a structure-of-arrays table and implements [`Table`] for it.
///
/// States, each with its NEURON name, initial value and the values it takes:
/// ```text
/// columns! {
///     /// Recordable states of SK_E2.
///     pub struct States {
///         /// Activation (1).
///         z = "z", 0.0, Any;
///     }
/// }
/// ```
/// Parameters, each described once as a [`Param`] (name, unit, default, bounds; what the
/// catalogue lists) with the values its column accepts:
/// ```text
/// columns! {
///     /// Parameters of SK_E2.
///     pub params Params {
///         /// Maximal conductance (S/cm2).
///         gbar = g("gSK_E2bar", 1e-6), NonNegative;
///     }
/// }
/// ```
/// Lookups accept the NEURON name or the field name.
macro_rules! columns {
    (
        $(#[$meta:meta])*
        pub struct $ty:ident {
            $( $(#[$fmeta:meta])* $field:ident = $neuron:literal, $default:expr, $range:ident; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $ty {
            $( $(#[$fmeta])* pub $field: Vec<f64>, )*
        }

        impl $ty {
            /// NEURON names, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($neuron),*];
            const DEFAULTS: &'static [f64] = &[$($default),*];
            const RANGES: &'static [$crate::sim::mechanisms::params::Range] =
                &[$($crate::sim::mechanisms::params::Range::$range),*];
        }

        impl $crate::sim::mechanisms::params::Named for $ty {
            fn names(&self) -> &'static [&'static str] {
                Self::NAMES
            }
        }

        $crate::sim::mechanisms::params::columns!(@body $ty, [$($field)*], states);
    };
    (
        $(#[$meta:meta])*
        pub params $ty:ident {
            $( $(#[$fmeta:meta])* $field:ident = $param:expr, $range:ident; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $ty {
            $( $(#[$fmeta])* pub $field: Vec<f64>, )*
        }

        impl $ty {
            /// The parameters, in declaration order: the one description of each.
            pub const PARAMS: &'static [$crate::sim::mechanisms::params::Param] = &[$($param),*];
            const RANGES: &'static [$crate::sim::mechanisms::params::Range] =
                &[$($crate::sim::mechanisms::params::Range::$range),*];
        }

        impl $crate::sim::mechanisms::params::Specified for $ty {
            fn params(&self) -> &'static [$crate::sim::mechanisms::params::Param] {
                Self::PARAMS
            }
        }

        $crate::sim::mechanisms::params::columns!(@body $ty, [$($field)*], params);
    };
    (@body $ty:ident, [$($field:ident)*], $kind:ident) => {
        impl $ty {
            const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];

            /// The column's NEURON name by position.
            fn neuron_name(k: usize) -> &'static str {
                $crate::sim::mechanisms::params::columns!(@name $kind, k)
            }

            /// The position of the column called `name` (NEURON's name or the field's).
            fn position(name: &str) -> Option<usize> {
                (0..Self::FIELDS.len()).find(|&k| Self::neuron_name(k) == name || Self::FIELDS[k] == name)
            }

            fn default_at(k: usize) -> f64 {
                $crate::sim::mechanisms::params::columns!(@default $kind, k)
            }

            /// Every column at its default, for `n` nodes.
            #[allow(unused_assignments)]
            pub fn new(n: usize) -> Self {
                let mut k = 0;
                $ty { $( $field: { let c = vec![Self::default_at(k); n]; k += 1; c }, )* }
            }

            /// Every column over the positions of `layout`: the default at its nodes;
            /// at the padding 0 for a non-negative column (a conductance, so that the
            /// padding passes no current), else the default.
            #[allow(dead_code, unused_assignments)]
            pub fn with_layout(layout: &$crate::sim::mechanisms::layout::Layout) -> Self {
                use $crate::sim::mechanisms::params::Range;
                let mut k = 0;
                $ty { $( $field: {
                    let d = Self::default_at(k);
                    let c = layout.column(d, if matches!(Self::RANGES[k], Range::NonNegative) { 0.0 } else { d });
                    k += 1;
                    c
                }, )* }
            }
        }

        impl $crate::sim::mechanisms::params::Table for $ty {
            fn known(&self) -> Vec<&'static str> {
                (0..Self::FIELDS.len()).map(Self::neuron_name).collect()
            }
            #[allow(unused_assignments)]
            fn column(&self, name: &str) -> Option<&[f64]> {
                let k = Self::position(name)?;
                let mut at = 0;
                $( if at == k { return Some(&self.$field[..]); } at += 1; )*
                None
            }
            #[allow(unused_assignments)]
            fn column_mut(
                &mut self,
                name: &str,
            ) -> Option<(&mut [f64], $crate::sim::mechanisms::params::Range)> {
                let k = Self::position(name)?;
                let range = Self::RANGES[k];
                let mut at = 0;
                $( if at == k { return Some((&mut self.$field[..], range)); } at += 1; )*
                None
            }
        }
    };
    (@name params, $k:ident) => { Self::PARAMS[$k].name };
    (@name states, $k:ident) => { Self::NAMES[$k] };
    (@default params, $k:ident) => { Self::PARAMS[$k].default };
    (@default states, $k:ident) => { Self::DEFAULTS[$k] };
}
pub(crate) use columns;

/// Writes `name`, `nodes`, `params`, `set_param`, `set_param_at`, `param`,
/// `state_names` and `state` inside an `impl Mechanism for X` block, for a struct with
/// fields `nodes: Vec<u32>`, `p` (a `columns!` parameter table) and `s` (a
/// `columns!` state table).
///
/// Variants: `mechanism_tables!("NAME", refresh)` also calls `self.refresh()` after
/// every successful `set_param`/`set_param_at`, for mechanisms that keep constants
/// derived from their parameters; `mechanism_tables!("NAME", layout: field)` (and
/// `mechanism_tables!("NAME", layout: field, refresh)`) is for a struct that keeps its
/// nodes in a [`Layout`](super::layout::Layout) `field` instead of `nodes`: indices go
/// through its positions.
macro_rules! mechanism_tables {
    ($mech:expr) => {
        $crate::sim::mechanisms::params::mechanism_tables!(@all $mech, nodes, (|_s: &mut Self| {}));
    };
    ($mech:expr, $changed:ident) => {
        $crate::sim::mechanisms::params::mechanism_tables!(@all $mech, nodes, (|s: &mut Self| s.$changed()));
    };
    ($mech:expr, layout: $layout:ident) => {
        $crate::sim::mechanisms::params::mechanism_tables!(@all $mech, $layout, (|_s: &mut Self| {}));
    };
    ($mech:expr, layout: $layout:ident, $changed:ident) => {
        $crate::sim::mechanisms::params::mechanism_tables!(@all $mech, $layout, (|s: &mut Self| s.$changed()));
    };
    (@pos $self:ident, nodes) => {
        None
    };
    (@pos $self:ident, $layout:ident) => {
        Some($self.$layout.positions())
    };
    (@all $mech:expr, $nodes:ident, $changed:tt) => {
        fn name(&self) -> &'static str {
            $mech
        }
        fn nodes(&self) -> &[u32] {
            $crate::sim::mechanisms::params::mechanism_tables!(@nodes self, $nodes)
        }
        fn params(&self) -> &'static [$crate::sim::mechanisms::params::Param] {
            $crate::sim::mechanisms::params::Specified::params(&self.p)
        }
        fn set_param(&mut self, name: &str, value: f64) -> Result<(), $crate::sim::mechanisms::ParamError> {
            let pos = $crate::sim::mechanisms::params::mechanism_tables!(@pos self, $nodes);
            $crate::sim::mechanisms::params::set_all($mech, &mut self.p, name, value, pos)?;
            ($changed)(self);
            Ok(())
        }
        fn set_param_at(
            &mut self,
            name: &str,
            index: usize,
            value: f64,
        ) -> Result<(), $crate::sim::mechanisms::ParamError> {
            let pos = $crate::sim::mechanisms::params::mechanism_tables!(@pos self, $nodes);
            $crate::sim::mechanisms::params::set_at($mech, &mut self.p, name, index, value, pos)?;
            ($changed)(self);
            Ok(())
        }
        fn param(&self, name: &str, index: usize) -> Option<f64> {
            let pos = $crate::sim::mechanisms::params::mechanism_tables!(@pos self, $nodes);
            $crate::sim::mechanisms::params::get(&self.p, name, index, pos)
        }
        fn state_names(&self) -> &'static [&'static str] {
            $crate::sim::mechanisms::params::Named::names(&self.s)
        }
        fn state(&self, name: &str, index: usize) -> Option<f64> {
            let pos = $crate::sim::mechanisms::params::mechanism_tables!(@pos self, $nodes);
            $crate::sim::mechanisms::params::get(&self.s, name, index, pos)
        }
        fn set_state(
            &mut self,
            name: &str,
            index: usize,
            value: f64,
        ) -> Result<(), $crate::sim::mechanisms::ParamError> {
            let pos = $crate::sim::mechanisms::params::mechanism_tables!(@pos self, $nodes);
            $crate::sim::mechanisms::params::set_at($mech, &mut self.s, name, index, value, pos)
        }
    };
    (@nodes $self:ident, nodes) => {
        &$self.nodes
    };
    (@nodes $self:ident, $layout:ident) => {
        $self.$layout.nodes()
    };
}
pub(crate) use mechanism_tables;

/// Test helpers shared by the mechanism files.
#[cfg(test)]
pub mod testing {
    use super::super::{Env, Ions, Mechanism};

    /// Environment of a test: dt 0.025 ms, 6.3 degC (NEURON's defaults), t = 0.
    pub fn env() -> Env {
        Env { dt: 0.025, celsius: 6.3, t: 0.0 }
    }

    /// Relative closeness, with an absolute floor for values near zero.
    pub fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300)
    }

    /// After `init` at `v` on one node, a full step (current then advance) at the same
    /// `v` leaves every named state where it was (to 1e-12 relative).
    pub fn assert_steady(mut mech: Box<dyn Mechanism>, v: f64, states: &[&str]) {
        assert_eq!(mech.nodes(), &[0]);
        let vs = [v];
        let mut ions = Ions::new(1);
        let e = env();
        mech.init(&vs, &mut ions, &e);
        let before: Vec<f64> = states.iter().map(|s| mech.state(s, 0).unwrap()).collect();
        let (mut rhs, mut d) = ([0.0], [0.0]);
        for _ in 0..10 {
            ions.begin_currents(e.celsius);
            mech.current(&vs, &mut ions, &mut rhs, &mut d, &e);
            mech.advance(&vs, &mut ions, &e);
        }
        for (s, b) in states.iter().zip(before) {
            let a = mech.state(s, 0).unwrap();
            assert!(close(a, b, 1e-12), "{} {s} at {v} mV drifted: {b} -> {a}", mech.name());
        }
    }

    /// Parameter plumbing: defaults readable, set_param and set_param_at change them,
    /// unknown names and bad values are refused, every state name is recordable.
    pub fn assert_plumbing(mut mech: Box<dyn Mechanism>, param: &str, default: f64) {
        assert_eq!(mech.param(param, 0), Some(default));
        mech.set_param(param, 0.5).unwrap();
        assert_eq!(mech.param(param, 1), Some(0.5));
        mech.set_param_at(param, 1, 0.25).unwrap();
        assert_eq!(mech.param(param, 0), Some(0.5));
        assert_eq!(mech.param(param, 1), Some(0.25));
        assert!(mech.set_param_at(param, 99, 1.0).is_err());
        assert!(mech.set_param(param, f64::NAN).is_err());
        assert!(mech.set_param("no_such_parameter", 1.0).is_err());
        assert_eq!(mech.param("no_such_parameter", 0), None);
        for p in mech.params() {
            assert!(mech.param(p.name, 0).is_some(), "{}", p.name);
        }
        for s in mech.state_names() {
            assert!(mech.state(s, 0).is_some(), "{s}");
        }
        assert_eq!(mech.state("no_such_state", 0), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hay_qt_is_2_3_to_the_1_3() {
        assert_eq!(HAY_QT, 2.3f64.powf((34.0 - 21.0) / 10.0));
    }
}
