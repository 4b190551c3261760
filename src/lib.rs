#![allow(clippy::needless_range_loop)] // numerical loops index several arrays by node
//! Dendra: a desktop lab for dendritic computation.
//!
//! [`sim`] is the simulation core (no Bevy); [`cli`] holds the headless commands.

pub mod cli;
pub mod sim;
