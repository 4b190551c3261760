//! The colour maps as the window uses them: the lab's ([`crate::lab::colour`]).

pub use crate::lab::colour::*;
