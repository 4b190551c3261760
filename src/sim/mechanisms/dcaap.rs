//! `dCaAP`: Gidon et al. 2020's phenomenological dendritic Ca2+ action potential
//! (ModelDB 254217 `_mod/dCaAP.mod`), docs/biophysics.md 8.2, reproducing NEURON's
//! fixed-step behaviour exactly.
//!
//! A density NONSPECIFIC current (mA/cm2): i = -(A - B) w K, inward while A > B.
//! - States A, B follow A' = A (1 - A)/tauA, B' = B (1 - B)/tauB, integrated as NEURON's
//!   cnexp does for a nonlinear ODE: linearised about the current value with the
//!   constant term taken at 0, A <- A exp(dt (1 - 2A)/tauA). So A and B converge to 0.5,
//!   not 1, and A - B peaks at about 0.37, some 22 ms after the trigger (docs/biophysics.md
//!   1.5 pitfall and 8.2).
//! - Trigger (the mod file's BEFORE BREAKPOINT, run here at the start of `current`, at
//!   t + dt/2 with v(t)): if t >= t_dCaAP + refract_period, v > vth and w > 0, then
//!   t_dCaAP = t, A = 0.001, B = 0, and K = min(1, exp(-(v - vth)/(vth - vrest)/D)),
//!   fixed for the event. Then, if B == 0, t >= t_dCaAP + sigma_diff and w > 0,
//!   B = 0.001 (B starts sigma_diff after the trigger).
//! - INITIAL: A = B = K = 0, t_dCaAP = -refract_period.
//!
//! It uses `env.t`, which the engine sets to t + dt/2 in `current`. Like the original it
//! is only meaningful with a fixed step.

use super::params::{TAU_MIN, columns, mechanism_tables, ms, mv, p};
use super::{Env, Ions, Mechanism};

/// The value A or B is set to when it starts.
pub const START: f64 = 0.001;

/// One cnexp step of the logistic x' = x (1 - x)/tau over dt, as NEURON computes it:
/// x' linearised as a + b x with b = d/dx[x (1 - x)/tau] = ((1 - x) - x)/tau at the
/// current x and a = 0 (the right-hand side at x = 0), so x <- x exp(b dt). Written as
/// NEURON's x + (1 - exp(b dt)) (-a/b - x) with a = 0, which also holds at b = 0.
#[inline]
pub fn logistic_cnexp(x: f64, tau: f64, dt: f64) -> f64 {
    let b = ((1.0 - x) - x) / tau;
    x - (1.0 - (dt * b).exp()) * x
}

columns! {
    /// Parameters of [`DCaAP`], per node. Defaults other than w are Gidon's xor.hoc
    /// values (the mod file leaves them 0); w defaults to the mod file's 0 (inactive).
    pub params Params {
        /// Weight (mA/cm2 at A - B = 1, K = 1); 0 disables. Gidon: 1.6 or 4.
        w = p("w", "mA/cm2", 0.0, 0.0, 100.0), NonNegative;
        /// Trigger threshold (mV); default -36.
        vth = mv("vth", -36.0), Any;
        /// Resting potential that scales K (mV); default -75.
        vrest = mv("vrest", -75.0), Any;
        /// Relative width of the K fall-off above vth (1); default 0.3.
        d = p("D", "1", 0.3, 1e-6, 100.0), Positive;
        /// Time constant of A (ms); default 3.
        tau_a = ms("tauA", 3.0, TAU_MIN), Positive;
        /// Time constant of B (ms); default 0.4.
        tau_b = ms("tauB", 0.4, TAU_MIN), Positive;
        /// Delay from the trigger to the start of B (ms); default 21.
        sigma_diff = ms("sigma_diff", 21.0, 0.0), NonNegative;
        /// Minimum time between triggers (ms); default 200.
        refract_period = ms("refract_period", 200.0, 0.0), NonNegative;
    }
}

columns! {
    /// Recordable states of [`DCaAP`], per node.
    pub struct States {
        /// Rising sigmoid (1).
        a = "A", 0.0, Any;
        /// Falling sigmoid (1).
        b = "B", 0.0, Any;
        /// Amplitude factor fixed at the latest trigger (1).
        k = "K", 0.0, Any;
        /// Time of the latest trigger (ms).
        t_dcaap = "t_dCaAP", 0.0, Any;
        /// Number of triggers since init.
        count = "dcaap_count", 0.0, Any;
        /// Latest current (mA/cm2).
        i = "i", 0.0, Any;
    }
}

/// Phenomenological dendritic Ca2+ AP over a set of nodes.
#[derive(Debug, Clone)]
pub struct DCaAP {
    nodes: Vec<u32>,
    /// Parameters.
    pub p: Params,
    /// States.
    pub s: States,
}

impl DCaAP {
    pub fn new(nodes: Vec<u32>) -> Self {
        let n = nodes.len();
        DCaAP { nodes, p: Params::new(n), s: States::new(n) }
    }
}

impl Mechanism for DCaAP {
    mechanism_tables!("dCaAP");

    fn init(&mut self, _v: &[f64], _ions: &mut Ions, _env: &Env) {
        for k in 0..self.nodes.len() {
            self.s.a[k] = 0.0;
            self.s.b[k] = 0.0;
            self.s.k[k] = 0.0;
            self.s.t_dcaap[k] = -self.p.refract_period[k];
            self.s.count[k] = 0.0;
            self.s.i[k] = 0.0;
        }
    }
    fn current(&mut self, v: &[f64], _ions: &mut Ions, rhs: &mut [f64], _d: &mut [f64], env: &Env) {
        let t = env.t;
        let (p, s) = (&self.p, &mut self.s);
        for (k, &node) in self.nodes.iter().enumerate() {
            let nd = node as usize;
            let vv = v[nd];
            let w = p.w[k];
            let vth = p.vth[k];
            if t >= s.t_dcaap[k] + p.refract_period[k] && vv > vth && w > 0.0 {
                s.t_dcaap[k] = t;
                s.a[k] = START;
                s.b[k] = 0.0;
                s.k[k] = (-(vv - vth) / (vth - p.vrest[k]) / p.d[k]).exp().min(1.0);
                s.count[k] += 1.0;
            }
            if s.b[k] == 0.0 && t >= s.t_dcaap[k] + p.sigma_diff[k] && w > 0.0 {
                s.b[k] = START;
            }
            let i = -(s.a[k] - s.b[k]) * w * s.k[k];
            s.i[k] = i;
            rhs[nd] -= i;
            // di/dv = 0: nothing to add to d.
        }
    }
    fn advance(&mut self, _v: &[f64], _ions: &mut Ions, env: &Env) {
        for k in 0..self.nodes.len() {
            self.s.a[k] = logistic_cnexp(self.s.a[k], self.p.tau_a[k], env.dt);
            self.s.b[k] = logistic_cnexp(self.s.b[k], self.p.tau_b[k], env.dt);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::params::testing::{assert_plumbing, close};
    use super::*;

    /// Runs one node through NEURON's fixed-step order with the voltage `v_of(t)` and
    /// returns (t at the end of each step, A - B, i) per step.
    fn run(mech: &mut DCaAP, dt: f64, tstop: f64, v_of: impl Fn(f64) -> f64) -> Vec<(f64, f64, f64)> {
        let mut ions = Ions::new(1);
        let mut t = 0.0;
        let env0 = Env { dt, celsius: 35.0, t };
        mech.init(&[v_of(0.0)], &mut ions, &env0);
        let mut out = Vec::new();
        let (mut rhs, mut d) = ([0.0], [0.0]);
        let n = (tstop / dt).round() as usize;
        for step in 0..n {
            let v = [v_of(t)];
            rhs[0] = 0.0;
            let e = Env { dt, celsius: 35.0, t: t + dt / 2.0 };
            mech.current(&v, &mut ions, &mut rhs, &mut d, &e);
            t = (step + 1) as f64 * dt;
            let e = Env { dt, celsius: 35.0, t };
            mech.advance(&v, &mut ions, &e);
            let ab = mech.state("A", 0).unwrap() - mech.state("B", 0).unwrap();
            out.push((t, ab, -rhs[0]));
        }
        out
    }

    #[test]
    fn logistic_cnexp_is_neurons_linearised_update() {
        let (x, tau, dt) = (0.2f64, 3.0, 0.025);
        let expect = x * (dt * (1.0 - 2.0 * x) / tau).exp();
        assert!(close(logistic_cnexp(x, tau, dt), expect, 1e-14));
        // Converges to 0.5, not 1, and stays there.
        let mut a = START;
        for _ in 0..100_000 {
            a = logistic_cnexp(a, tau, dt);
        }
        assert!(close(a, 0.5, 1e-12), "{a}");
        assert_eq!(logistic_cnexp(0.5, tau, dt), 0.5);
        assert_eq!(logistic_cnexp(0.0, tau, dt), 0.0);
    }

    #[test]
    fn waveform_matches_neurons_discrete_map() {
        // Gidon's parameters; v steps from rest to just above vth at 10 ms.
        for dt in [0.025, 0.05] {
            let mut m = DCaAP::new(vec![0]);
            m.set_param("w", 1.6).unwrap();
            let out = run(&mut m, dt, 60.0, |t| if t < 9.99 { -75.0 } else { -35.99 });
            let t0 = m.state("t_dCaAP", 0).unwrap();
            assert!((t0 - (10.0 + dt / 2.0)).abs() < 1e-9, "trigger at {t0}");
            assert_eq!(m.state("dcaap_count", 0), Some(1.0));
            let (tmax, max, _) =
                out.iter().copied().fold((0.0, f64::MIN, 0.0), |a, b| if b.1 > a.1 { b } else { a });
            assert!((max - 0.37).abs() < 0.01, "dt {dt}: max(A-B) = {max}");
            assert!((tmax - t0 - 22.0).abs() < 0.5, "dt {dt}: peak {} ms after trigger", tmax - t0);
            let above: Vec<f64> = out.iter().filter(|x| x.1 > 0.1).map(|x| x.0 - t0).collect();
            let (first, last) = (above[0], *above.last().unwrap());
            assert!((first - 14.4).abs() < 0.15, "dt {dt}: A-B > 0.1 from {first}");
            assert!((last - 23.7).abs() < 0.15, "dt {dt}: A-B > 0.1 until {last}");
            // Contiguous: one pulse.
            assert!(above.len() as f64 * dt > last - first - 2.0 * dt);
            // Current: i = -(A - B) w K, inward, K ~ 1 just above threshold.
            let k = m.state("K", 0).unwrap();
            assert!(close(k, (-(0.01f64) / 39.0 / 0.3).exp(), 1e-12), "{k}");
            let (_, _, i_at_peak) = out.iter().copied().find(|x| x.0 == tmax).unwrap();
            assert!(i_at_peak < 0.0);
            // The current at the peak step used A, B before that step's advance.
            assert!(i_at_peak.abs() / (1.6 * k) > 0.36 && i_at_peak.abs() / (1.6 * k) < 0.38);
        }
    }

    #[test]
    fn k_is_set_by_v_at_the_trigger() {
        for vt in [-35.0f64, -30.0, -20.0] {
            let mut m = DCaAP::new(vec![0]);
            m.set_param("w", 4.0).unwrap();
            run(&mut m, 0.025, 5.0, |t| if t < 0.99 { -75.0 } else { vt });
            let (vth, vrest, d) = (-36.0, -75.0, 0.3);
            let expect = (-(vt - vth) / ((vth - vrest) * d)).exp().min(1.0);
            assert!(close(m.state("K", 0).unwrap(), expect, 1e-12), "{vt}");
        }
        // Triggered while v sits 20 mV above threshold: K = exp(-20/11.7) ~ 0.18.
        let mut m = DCaAP::new(vec![0]);
        m.set_param("w", 1.0).unwrap();
        run(&mut m, 0.025, 1.0, |_| -16.0);
        assert!(close(m.state("K", 0).unwrap(), (-20.0f64 / 11.7).exp(), 1e-12));
    }

    #[test]
    fn refractory_period_prevents_retriggering_within_200_ms() {
        let mut m = DCaAP::new(vec![0]);
        m.set_param("w", 1.6).unwrap();
        // Held above threshold from 5 ms on.
        let out = run(&mut m, 0.025, 450.0, |t| if t < 4.99 { -75.0 } else { -30.0 });
        let t0 = 5.0 + 0.0125;
        assert_eq!(m.state("dcaap_count", 0), Some(3.0));
        // Re-triggered at the first step boundary + dt/2 at or after t0 + 200 (and again
        // 200 ms later); nothing in between: A - B stays at or below 0 in 30..200 ms.
        let t2 = m.state("t_dCaAP", 0).unwrap();
        assert!(t2 >= t0 + 400.0 - 1e-9 && t2 < t0 + 400.0 + 0.025 + 1e-9, "{t2}");
        for &(t, ab, _) in &out {
            if t > t0 + 30.0 && t < t0 + 200.0 {
                assert!(ab <= 1e-12, "{t}: {ab}");
            }
        }
        let mut m = DCaAP::new(vec![0]);
        m.set_param("w", 1.6).unwrap();
        run(&mut m, 0.025, 5.0 + 199.9, |t| if t < 4.99 { -75.0 } else { -30.0 });
        assert_eq!(m.state("dcaap_count", 0), Some(1.0));
    }

    #[test]
    fn silent_without_weight_or_below_threshold() {
        let mut m = DCaAP::new(vec![0]);
        let out = run(&mut m, 0.025, 50.0, |_| 0.0);
        assert!(out.iter().all(|x| x.2 == 0.0));
        assert_eq!(m.state("dcaap_count", 0), Some(0.0));
        let mut m = DCaAP::new(vec![0]);
        m.set_param("w", 1.6).unwrap();
        let out = run(&mut m, 0.025, 50.0, |_| -40.0);
        assert!(out.iter().all(|x| x.2 == 0.0));
        assert_eq!(m.state("dcaap_count", 0), Some(0.0));
    }

    #[test]
    fn params() {
        assert_plumbing(Box::new(DCaAP::new(vec![0, 1])), "w", 0.0);
        assert_plumbing(Box::new(DCaAP::new(vec![0, 1])), "tauA", 3.0);
        let m = DCaAP::new(vec![0]);
        for (p, x) in [("vth", -36.0), ("vrest", -75.0), ("D", 0.3), ("tauB", 0.4)] {
            assert_eq!(m.param(p, 0), Some(x));
        }
        assert_eq!((m.param("sigma_diff", 0), m.param("refract_period", 0)), (Some(21.0), Some(200.0)));
    }
}
