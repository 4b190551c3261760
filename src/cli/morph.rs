//! `dendra morph FILE [--json]`.

use crate::sim::morphology::Morphology;
use crate::sim::passive::passive_figures;
use std::path::Path;

pub fn run(file: &Path, json: bool) -> Result<(), String> {
    let morph = Morphology::from_swc_file(file).map_err(|e| e.to_string())?;
    let figs = passive_figures(morph).map_err(|e| format!("{}: {e}", file.display()))?;
    if json {
        println!("{}", serde_json::to_string(&figs).map_err(|e| e.to_string())?);
    } else {
        println!("{}", figs.file);
        println!("  sections       {}", figs.sections);
        println!("  compartments   {}", figs.compartments);
        println!("  length         {:.2} um", figs.length_um);
        println!("  area           {:.1} um2 (soma {:.1} um2)", figs.area_um2, figs.soma_area_um2);
        println!("  input resist.  {:.3} MOhm", figs.rin_mohm);
        println!("  time constant  {:.3} ms", figs.tau_ms);
        for w in &figs.warnings {
            println!("  warning: {w}");
        }
    }
    Ok(())
}
