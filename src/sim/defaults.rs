//! NEURON's defaults (docs/biophysics.md 0), shared by every description format and the engine.

/// Temperature (degC).
pub const CELSIUS: f64 = 6.3;
/// Time step (ms).
pub const DT: f64 = 0.025;
/// Initial voltage (mV).
pub const V_INIT: f64 = -65.0;
/// Axial resistivity (ohm cm).
pub const RA: f64 = 35.4;
/// Specific membrane capacitance (uF/cm2).
pub const CM: f64 = 1.0;
/// Leak reversal of `pas` (mV).
pub const E_PAS: f64 = -70.0;

// For serde's `default = "..."`, which needs functions.
pub fn celsius() -> f64 {
    CELSIUS
}
pub fn dt() -> f64 {
    DT
}
pub fn v_init() -> f64 {
    V_INIT
}
pub fn ra() -> f64 {
    RA
}
pub fn cm() -> f64 {
    CM
}
