//! `dendra simulate SPEC.json --out FILE.csv`.

use crate::sim::spec::ModelSpec;
use std::path::Path;

pub fn run(spec_path: &Path, out: &Path) -> Result<(), String> {
    let name = spec_path.display();
    let text = std::fs::read_to_string(spec_path).map_err(|e| format!("{name}: cannot read: {e}"))?;
    let spec = ModelSpec::from_json(&text).map_err(|e| format!("{name}: {e}"))?;
    let mut model = spec.build().map_err(|e| format!("{name}: {e}"))?;
    let csv = model.run_to_csv();
    if !model.sim.is_finite() {
        return Err(format!("{name}: the voltages became non-finite; try a smaller dt"));
    }
    if out.as_os_str() == "-" {
        print!("{csv}");
        Ok(())
    } else {
        std::fs::write(out, csv).map_err(|e| format!("{}: cannot write: {e}", out.display()))
    }
}
