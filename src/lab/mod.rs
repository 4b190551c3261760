//! The lab: what the lecturer manipulates (synapses placed on the tree, probes, current
//! clamps, drugs, [Mg2+], speed), kept apart from any window so that it can be tested
//! without Bevy. The Bevy app (`crate::app`) draws a [`Lab`] and sends it commands.

pub mod biophysics;
pub mod channels;
pub mod clip;
pub mod colour;
pub mod error;
pub mod geometry;
pub mod lesson;
pub mod linearity;
pub mod pharmacology;
pub mod playhead;
pub mod probes;
pub mod recording;
pub mod scene;
pub mod session;
pub mod setup;
pub mod space;
pub mod stimuli;
pub mod synapses;
pub mod trials;

pub use error::LabError;
pub use session::{FirePattern, Lab, LabClamp, LabProbe, LabSynapse, Quantity, SynapseKind};
