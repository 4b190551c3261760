#![allow(clippy::needless_range_loop)] // numerical loops index several arrays by node
//! Dendra: a desktop lab for dendritic computation.
//!
//! [`sim`] is the simulation core (no Bevy); [`lab`] is the lab's state and commands (no
//! Bevy either); [`cli`] holds the headless commands; `app` (feature `app`) is the window.
//!
//! Running a model written in the reference spec, headless:
//!
//! ```
//! use dendra::sim::spec::ModelSpec;
//! let spec = ModelSpec::from_json(r#"{
//!     "tstop": 20, "record_every": 40,
//!     "sections": [{"name": "soma", "L": 20, "diam": 20, "Ra": 100, "mechanisms": {"hh": {}}}],
//!     "iclamps": [{"section": "soma", "x": 0.5, "delay": 2, "dur": 1, "amp": 1.0}],
//!     "record": [{"section": "soma", "x": 0.5}]
//! }"#).unwrap();
//! let mut model = spec.build().unwrap();
//! let csv = model.run_to_csv();
//! assert!(csv.starts_with("t,soma(0.5)\n0.0000,-65.000000"));
//! // The pulse fires an action potential.
//! let peak = model.sim.recorder.traces[0].iter().fold(f64::MIN, f64::max);
//! assert!(peak > 0.0);
//! ```

#[cfg(feature = "app")]
pub mod app;
pub mod cli;
pub mod lab;
pub mod sim;
