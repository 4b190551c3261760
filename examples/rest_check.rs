//! Prints, for every gallery cell under every biophysics preset, the somatic potential
//! after 500 ms without input and the spikes in that time (a cell should rest quietly).
//! `cargo run --release --no-default-features --example rest_check`

use dendra::lab::Lab;
use dendra::lab::biophysics::PRESETS;
use dendra::sim::morphology::gallery::GALLERY;

fn main() {
    for c in GALLERY {
        for (preset, _) in PRESETS {
            let m = match c.load() {
                Ok(m) => m,
                Err(e) => {
                    println!("{}: {e}", c.name);
                    continue;
                }
            };
            let mut lab = match Lab::with_biophysics(m, c.name, preset) {
                Ok(l) => l,
                Err(e) => {
                    println!("{} / {preset}: {e}", c.name);
                    continue;
                }
            };
            let soma = lab.probes[0].node as usize;
            let steps = (500.0 / lab.sim.config.dt) as u64;
            let (mut spikes, mut above) = (0, false);
            for _ in 0..steps {
                lab.sim.step();
                let v = lab.sim.v[soma];
                if v > 0.0 && !above {
                    spikes += 1;
                }
                above = v > 0.0;
            }
            println!("{:<16} {:<28} V {:7.2} mV  spikes {spikes}", c.name, preset, lab.sim.v[soma]);
        }
    }
}
