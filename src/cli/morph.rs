//! `dendra morph FILE [--json]`.

use super::output::{CliError, write_stdout};
use crate::sim::morphology::gallery;
use crate::sim::passive::passive_figures_with;
use std::path::Path;

pub fn run(file: &Path, json: bool) -> Result<(), CliError> {
    let morph = gallery::open(file).map_err(|e| e.to_string())?;
    let mut progress = super::progress::Progress::new("measuring");
    let figs = passive_figures_with(morph, |f| progress.update(f))
        .map_err(|e| format!("{}: {e}", file.display()))?;
    if progress.finish() {
        return Err(CliError::Interrupted("stopped before the time constant was found".into()));
    }
    let mut text = String::new();
    if json {
        text = serde_json::to_string(&figs).map_err(|e| e.to_string())? + "\n";
    } else {
        text += &format!("{}\n", figs.file);
        text += &format!("  sections       {}\n", figs.sections);
        text += &format!("  compartments   {}\n", figs.compartments);
        text += &format!("  length         {:.2} um\n", figs.length_um);
        text += &format!("  area           {:.1} um2 (soma {:.1} um2)\n", figs.area_um2, figs.soma_area_um2);
        text += &format!("  input resist.  {:.3} MOhm\n", figs.rin_mohm);
        text += &format!("  time constant  {:.3} ms\n", figs.tau_ms);
        for w in &figs.warnings {
            text += &format!("  warning: {w}\n");
        }
    }
    write_stdout(&text)
}
