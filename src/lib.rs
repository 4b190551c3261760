#![allow(clippy::needless_range_loop)] // numerical loops index several arrays by node
//! Dendra: a desktop lab for dendritic computation.
//!
//! [`sim`] is the simulation core (no Bevy); [`lab`] is the lab's state and commands (no
//! Bevy either); [`cli`] holds the headless commands; `app` (feature `app`) is the window.

#[cfg(feature = "app")]
pub mod app;
pub mod cli;
pub mod lab;
pub mod sim;
