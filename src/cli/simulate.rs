//! `dendra simulate SPEC.json --out FILE.csv [--force]`.

use super::output::{CliError, OutFile};
use super::progress::{Progress, check_work};
use crate::sim::spec::ModelSpec;
use std::path::Path;

pub fn run(spec_path: &Path, out: &Path, force: bool) -> Result<(), CliError> {
    let name = spec_path.display();
    let text = crate::sim::textfile::read_text_limited(spec_path, crate::sim::textfile::MAX_JSON_BYTES)
        .map_err(|e| format!("{name}: {e}"))?;
    let spec = ModelSpec::from_json(&text).map_err(|e| format!("{name}: {e}"))?;
    let mut model = spec.build().map_err(|e| format!("{name}: {e}"))?;
    let steps = (model.tstop / model.sim.config.dt).ceil();
    check_work(steps, model.sim.cell.compartment_count(), force).map_err(|e| format!("{name}: {e}"))?;
    // A path that cannot be written fails now, not after the run.
    let out = OutFile::create(out)?;
    let mut progress = Progress::new("simulating");
    let (csv, complete) = model.run_checked(|f| progress.update(f)).map_err(|e| format!("{name}: {e}"))?;
    progress.finish();
    out.finish(&csv)?;
    if !complete {
        return Err(CliError::Interrupted(format!(
            "stopped at t = {:.3} ms; the traces so far were written",
            model.sim.t()
        )));
    }
    Ok(())
}
