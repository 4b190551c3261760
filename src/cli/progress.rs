//! Long headless runs: a work estimate checked before the run, a progress bar on a
//! terminal, and Ctrl+C (or SIGTERM, SIGHUP) that stops the run cleanly (the caller
//! writes what was computed so far, and exits with status 130).

use super::CliError;
use crate::sim::limits::MAX_WORK_COMPARTMENT_STEPS;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Refuses a run of `steps` steps on `compartments` compartments that is beyond
/// [`MAX_WORK_COMPARTMENT_STEPS`], unless `force`.
pub fn check_work(steps: f64, compartments: usize, force: bool) -> Result<(), CliError> {
    let work = steps * compartments as f64;
    if !work.is_finite() || (work > MAX_WORK_COMPARTMENT_STEPS && !force) {
        return Err(CliError::Input(format!(
            "the run would take {work:.3e} compartment-steps ({steps:.3e} steps x {compartments} compartments; \
             roughly {} here), more than the {MAX_WORK_COMPARTMENT_STEPS:.1e} allowed without \
             --force (see docs/limits.md)",
            duration(work * 5e-9)
        )));
    }
    Ok(())
}

/// A duration in words, short whatever its size: "12 minutes", "3.2e+290 years".
pub fn duration(seconds: f64) -> String {
    let minutes = seconds / 60.0;
    let years = seconds / (365.25 * 86400.0);
    if !seconds.is_finite() {
        "forever".into()
    } else if minutes < 1.0 {
        format!("{seconds:.0} seconds")
    } else if minutes < 600.0 {
        format!("{minutes:.0} minutes")
    } else if years < 1.0 {
        format!("{:.0} hours", minutes / 60.0)
    } else if years < 1e4 {
        format!("{years:.0} years")
    } else {
        format!("{years:.1e} years")
    }
}

/// Set by Ctrl+C, SIGTERM or SIGHUP while a run is going (ctrlc's `termination`).
fn interrupted() -> Arc<AtomicBool> {
    static FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        // Without a handler (another one is installed) Ctrl+C ends the process as usual.
        if ctrlc::set_handler(move || f.store(true, Ordering::SeqCst)).is_err() {
            super::output::report("dendra: Ctrl+C will not stop the run cleanly here");
        }
        flag
    })
    .clone()
}

/// A progress line on standard error when it is a terminal; `update` returns false
/// once Ctrl+C was pressed.
pub struct Progress {
    label: String,
    shown: bool,
    last_percent: i64,
    stop: Arc<AtomicBool>,
}

impl Progress {
    pub fn new(label: &str) -> Progress {
        Progress {
            label: label.to_string(),
            shown: std::io::stderr().is_terminal(),
            last_percent: -1,
            stop: interrupted(),
        }
    }

    /// A progress line only: Ctrl+C is left to end the program as usual (for work that
    /// has nothing to save when stopped).
    pub fn display_only(label: &str) -> Progress {
        Progress {
            label: label.to_string(),
            shown: std::io::stderr().is_terminal(),
            last_percent: -1,
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Shows `fraction` done; false when the run should stop.
    pub fn update(&mut self, fraction: f64) -> bool {
        let percent = (fraction.clamp(0.0, 1.0) * 100.0).floor() as i64;
        if self.shown && percent != self.last_percent {
            self.last_percent = percent;
            let bar = "#".repeat((percent / 4) as usize);
            let mut err = std::io::stderr().lock();
            // A progress line that cannot be shown is no reason to stop the run.
            if write!(err, "\r{} [{bar:<25}] {percent:>3}%", self.label).and_then(|_| err.flush()).is_err() {
                self.shown = false;
            }
        }
        !self.stop.load(Ordering::SeqCst)
    }

    /// Ends the line; true when the run was stopped by Ctrl+C.
    pub fn finish(&mut self) -> bool {
        if self.shown {
            super::output::report("");
        }
        self.stop.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_stay_short() {
        assert_eq!(duration(30.0), "30 seconds");
        assert_eq!(duration(600.0), "10 minutes");
        assert_eq!(duration(7200.0 * 10.0), "20 hours");
        assert_eq!(duration(1e300), "3.2e292 years");
        assert!(check_work(1e300, 10, false).unwrap_err().to_string().len() < 300);
    }
}
