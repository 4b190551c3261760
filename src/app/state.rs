//! The lab and the panel's settings as Bevy resources.

use crate::lab::{FirePattern, Lab, Quantity, SynapseKind};
use bevy::prelude::*;

/// The lab itself.
#[derive(Resource)]
pub struct LabRes(pub Lab);

/// A mesh prepared off the UI thread (by the loading thread) for the lab of this
/// generation, taken by the scene when it draws that lab.
#[derive(Resource, Default)]
pub struct PreparedMesh(pub Option<(u64, crate::lab::geometry::TreeMesh)>);

/// What a new lab keeps of the one it replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Swap {
    /// Another cell (the tree is drawn anew); the lecturer's speed stays.
    NewCell,
    /// Another cell with its own speed (a saved setup's).
    NewCellWithItsSpeed,
    /// The same cell (a lesson's run of its own scene): the tree stays, the markers and
    /// traces follow the new lab, the speed stays.
    SameCell,
}

impl LabRes {
    /// Puts `new` in place of the lab: the one way the window swaps labs. With another
    /// cell the scene rebuilds (`generation` moves on).
    pub fn swap(&mut self, new: Lab, how: Swap, ui: &mut UiState) {
        let speed = self.0.speed;
        self.0 = new;
        if how != Swap::NewCellWithItsSpeed {
            self.0.speed = speed;
        }
        if how != Swap::SameCell {
            ui.generation += 1;
        }
    }
}

/// What a left click on the tree does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// Place a synapse.
    Synapse,
    /// Place a voltage probe.
    Probe,
    /// Place a current clamp.
    Clamp,
    /// Select the nearest synapse (shift adds to the selection).
    Select,
    /// Move the selected synapse here.
    Move,
}

impl Tool {
    pub const ALL: [Tool; 5] = [Tool::Synapse, Tool::Probe, Tool::Clamp, Tool::Select, Tool::Move];
    pub fn label(self) -> &'static str {
        match self {
            Tool::Synapse => "Synapse",
            Tool::Probe => "Probe",
            Tool::Clamp => "Clamp",
            Tool::Select => "Select",
            Tool::Move => "Move",
        }
    }
}

/// What a trial plays after its baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrialFire {
    /// The selection, once each.
    Fire,
    Burst,
    Inward,
    Outward,
    Poisson,
    /// No synapses: the clamps only.
    Clamps,
}

impl TrialFire {
    pub const ALL: [TrialFire; 6] = [
        TrialFire::Fire,
        TrialFire::Burst,
        TrialFire::Inward,
        TrialFire::Outward,
        TrialFire::Poisson,
        TrialFire::Clamps,
    ];
    pub fn label(self) -> &'static str {
        match self {
            TrialFire::Fire => "fire",
            TrialFire::Burst => "burst",
            TrialFire::Inward => "inward",
            TrialFire::Outward => "outward",
            TrialFire::Poisson => "Poisson",
            TrialFire::Clamps => "clamps only",
        }
    }
}

/// The panel's settings and the messages shown to the user.
#[derive(Resource, Debug, Clone)]
pub struct UiState {
    pub tool: Tool,
    pub syn_kind: SynapseKind,
    pub syn_weight_ns: f64,
    /// NMDA over AMPA peak conductance of the AMPA+NMDA synapses placed.
    pub syn_nmda_ratio: f64,
    pub burst_n: u32,
    pub burst_hz: f64,
    pub poisson_hz: f64,
    pub poisson_ms: f64,
    pub seq_interval_ms: f64,
    pub clamp_amp_na: f64,
    pub clamp_delay_ms: f64,
    pub clamp_dur_ms: f64,
    pub quantity: Quantity,
    pub range: (f64, f64),
    pub colormap: usize,
    pub presenter: bool,
    /// The side panel hidden (Tab), so that the tree gets the window.
    pub hide_panel: bool,
    pub show_help: bool,
    /// Milliseconds of trace shown.
    pub trace_window_ms: f64,
    /// The traces' voltage axis fixed at -80..40 mV (otherwise it fits the traces).
    pub trace_fixed: bool,
    /// What a trial plays, and for how long after its baseline (ms).
    pub trial_fire: TrialFire,
    pub trial_ms: f64,
    /// The latest message (what happened, or what went wrong).
    pub status: String,
    pub error: bool,
    /// Bumped whenever the lab is replaced, so the scene rebuilds.
    pub generation: u64,
    /// A view to restore instead of framing the next cell (from a saved setup).
    pub pending_camera: Option<crate::lab::setup::CameraSetup>,
    /// Points (section, x) to frame instead of the whole cell when the next cell is drawn
    /// (a lesson's focus).
    pub pending_focus: Option<Vec<(usize, f64)>>,
    /// Which instant the tree and the traces show (live, or a recorded moment) and how
    /// it moves ([`crate::lab::playhead`]).
    pub playhead: crate::lab::playhead::Playhead,
    /// Colour by the difference from this kept trial (its recording), at the same time
    /// after its start.
    pub difference_from: Option<usize>,
    /// The space plot's path, between these two probes (0: the soma's).
    pub space_plot: Option<[usize; 2]>,
}

impl Default for UiState {
    fn default() -> Self {
        UiState {
            tool: Tool::Synapse,
            syn_kind: SynapseKind::AmpaNmda,
            syn_weight_ns: crate::lab::synapses::HAND_WEIGHT_NS,
            syn_nmda_ratio: crate::lab::synapses::HAND_NMDA_RATIO,
            burst_n: 5,
            burst_hz: 50.0,
            poisson_hz: 20.0,
            poisson_ms: 500.0,
            seq_interval_ms: 2.0,
            clamp_amp_na: 0.5,
            clamp_delay_ms: 0.0,
            clamp_dur_ms: 100.0,
            quantity: Quantity::Voltage,
            range: Quantity::Voltage.default_range(),
            colormap: 0,
            presenter: false,
            hide_panel: false,
            show_help: false,
            trace_window_ms: 200.0,
            trace_fixed: false,
            trial_fire: TrialFire::Fire,
            trial_ms: 150.0,
            status: "Click a dendrite to place a synapse; space fires.".into(),
            error: false,
            generation: 0,
            pending_camera: None,
            pending_focus: None,
            playhead: Default::default(),
            difference_from: None,
            space_plot: None,
        }
    }
}

impl UiState {
    pub fn say(&mut self, msg: impl Into<String>) {
        self.status = msg.into();
        self.error = false;
    }
    pub fn fail(&mut self, msg: impl std::fmt::Display) {
        self.status = msg.to_string();
        self.error = true;
    }
    pub fn burst(&self) -> FirePattern {
        FirePattern::Burst { n: self.burst_n, hz: self.burst_hz }
    }
    pub fn poisson(&self) -> FirePattern {
        FirePattern::Poisson { hz: self.poisson_hz, ms: self.poisson_ms }
    }
    pub fn sequence(&self, inward: bool) -> FirePattern {
        FirePattern::Sequence { inward, interval_ms: self.seq_interval_ms }
    }
    /// The trial the panel's settings describe.
    pub fn trial_plan(&self) -> crate::lab::trials::TrialPlan {
        let fire = match self.trial_fire {
            TrialFire::Fire => Some(FirePattern::Single),
            TrialFire::Burst => Some(self.burst()),
            TrialFire::Inward => Some(self.sequence(true)),
            TrialFire::Outward => Some(self.sequence(false)),
            TrialFire::Poisson => Some(self.poisson()),
            TrialFire::Clamps => None,
        };
        crate::lab::trials::TrialPlan { fire, run_ms: self.trial_ms }
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<UiState>();
}
