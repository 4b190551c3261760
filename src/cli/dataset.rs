//! `dendra dataset --lesson NAME --seconds S --runs R --seed K --out FILE.npz`: independent
//! runs of a lesson's condition (one seed each, in parallel, one per core), their inputs
//! (every spike delivered to every synapse, with each synapse's place and kind) and
//! outputs (the somatic voltage in bins, the somatic spikes, optionally the voltage at
//! the lesson's dendritic probes) written as NumPy arrays (docs/dataset.md). Made for
//! `deep-neuron`: the data Beniaguev et al. trained their networks on.

use super::npz::{Array, Data, write_npz};
use super::output::{CliError, write_stdout};
use super::progress::{Progress, check_work};
use crate::lab::lesson::Lesson;
use crate::lab::lesson::run::{Action, Condition, Run};
use crate::lab::scene::ResolvedScene;
use crate::lab::scene::change::Amount;
use crate::sim::limits::MAX_SAMPLES;
use crate::sim::morphology::gallery;
use crate::sim::savefile::SaveFile;
use clap::Args;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Most runs one data set may hold.
pub const MAX_RUNS: usize = 100_000;
/// Most input spikes one data set may hold (16 bytes each: 320 MB).
pub const MAX_DATASET_INPUT_SPIKES: f64 = 20_000_000.0;
/// Most threads `--threads` takes.
pub const MAX_THREADS: usize = 1024;
/// A somatic spike: an upward crossing of this voltage (mV).
pub const SPIKE_THRESHOLD_MV: f64 = -20.0;

#[derive(Debug, Args)]
pub struct DatasetArgs {
    /// The lesson whose scene and condition are run (`dendra lesson list`).
    #[arg(long)]
    pub lesson: String,
    /// The lesson's condition to run (its first when not given; for deep-neuron `nmda`,
    /// or `apv`).
    #[arg(long)]
    pub condition: Option<String>,
    /// Simulated time of each run (s, after the lesson's settling; at most 60).
    #[arg(long, default_value_t = 10.0, allow_negative_numbers = true)]
    pub seconds: f64,
    /// Independent runs (each with its own seed).
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    pub runs: i64,
    /// The first run's seed; run r has seed + r.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Where to write the data set (NumPy .npz).
    #[arg(long)]
    pub out: PathBuf,
    /// Threads, one run each at a time (all cores when not given).
    #[arg(long, allow_negative_numbers = true)]
    pub threads: Option<i64>,
    /// Width of the output bins (ms; a whole number of time steps).
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub bin_ms: f64,
    /// Also record the voltage at the lesson's dendritic probes.
    #[arg(long)]
    pub dendrites: bool,
    /// Run the lesson's scene on this cell (SWC, ASC or a gallery name) instead of its own.
    #[arg(long)]
    pub morphology: Option<PathBuf>,
    /// Run even when the work estimate is beyond the limit (docs/limits.md).
    #[arg(long)]
    pub force: bool,
}

/// What one run gives.
struct RunData {
    soma: Vec<f32>,
    /// Per recorded dendritic place, its binned voltage.
    dendrites: Vec<Vec<f32>>,
    spikes: Vec<f64>,
    /// Per lab synapse, the spikes it received (ms from the protocol's start).
    inputs: Vec<Vec<f64>>,
}

/// Expected input spikes of one run: the Poisson actions' synapses times their mean rate.
fn expected_inputs(built: &ResolvedScene, actions: &[Action], vars: &BTreeMap<String, f64>) -> f64 {
    actions
        .iter()
        .map(|a| match a {
            Action::Poisson { group, ms, rate_hz, .. } => {
                let n = built.groups.get(group).map_or(0, Vec::len) as f64;
                let get = |x: &Amount| x.get(vars).unwrap_or(0.0);
                n * get(rate_hz) * get(ms) / 1000.0
            }
            Action::Fire { group, .. } => built.groups.get(group).map_or(0, Vec::len) as f64,
            _ => 0.0,
        })
        .sum()
}

/// The lesson's condition `--condition` names (its first when none), refused when its
/// actions need a figure's variable (a sweep's amplitude): the message lists the lessons'
/// conditions that can make a data set alone.
fn condition(lesson: &Lesson, args: &DatasetArgs) -> Result<Condition, CliError> {
    let cond = match &args.condition {
        Some(name) => lesson.condition(name).cloned().ok_or_else(|| {
            let names: Vec<&str> = lesson.conditions.iter().map(|c| c.name.as_str()).collect();
            format!(
                "--condition: lesson {} has no condition '{name}' (it has {})",
                lesson.name,
                names.join(", ")
            )
        })?,
        None => lesson.conditions.first().cloned().ok_or("the lesson has no condition")?,
    };
    // A condition whose actions need a figure's variable (a sweep's amplitude) cannot run
    // on its own: say which can.
    let needs: Vec<String> = cond.variables().into_iter().filter(|v| v != "seed" && v != "run_ms").collect();
    if !needs.is_empty() {
        let mut can = Vec::new();
        for (name, _) in crate::lab::lesson::LESSONS {
            let Ok(l) = Lesson::builtin(name) else { continue };
            let ok: Vec<&str> = l
                .conditions
                .iter()
                .filter(|c| c.variables().iter().all(|v| v == "seed" || v == "run_ms"))
                .map(|c| c.name.as_str())
                .collect();
            if !ok.is_empty() {
                can.push(format!("{name} ({})", ok.join(", ")));
            }
        }
        return Err(format!(
            "lesson {}'s condition '{}' needs the variable{} {} (given by its figures' sweeps), so it \
             cannot make a data set alone; these lessons' conditions can: {}",
            lesson.name,
            cond.name,
            if needs.len() == 1 { "" } else { "s" },
            needs.iter().map(|v| format!("'${v}'")).collect::<Vec<_>>().join(", "),
            can.join("; ")
        )
        .into());
    }
    Ok(cond)
}

/// Everything a data set's runs need, checked before any runs: the scene on its cell, the
/// condition (its length a whole number of bins), the dendritic places recorded, and the
/// counts, held to the limits of memory and work.
struct Plan {
    lesson: Lesson,
    built: ResolvedScene,
    lab: crate::lab::Lab,
    cond: Condition,
    /// The run variables (the condition's length; the seed goes to each run as an integer).
    vars: BTreeMap<String, f64>,
    dend_places: Vec<String>,
    runs: usize,
    threads: usize,
    bins: usize,
    bin_steps: u64,
}

fn plan(args: &DatasetArgs) -> Result<Plan, CliError> {
    let lesson = Lesson::builtin(&args.lesson).map_err(|e| e.to_string())?;
    let mut cond = condition(&lesson, args)?;
    let max_s = crate::lab::lesson::run::MAX_RUN_MS / 1000.0;
    if !(args.seconds.is_finite() && args.seconds > 0.0 && args.seconds <= max_s) {
        return Err(
            format!("--seconds must be above 0 and at most {max_s} (one run), got {}", args.seconds).into()
        );
    }
    if !(1..=MAX_RUNS as i64).contains(&args.runs) {
        return Err(format!("--runs must be 1 to {MAX_RUNS}, got {}", args.runs).into());
    }
    let runs = args.runs as usize;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = match args.threads {
        None => cores,
        Some(t) if (1..=MAX_THREADS as i64).contains(&t) => t as usize,
        Some(t) => return Err(format!("--threads must be 1 to {MAX_THREADS}, got {t}").into()),
    }
    .min(runs);
    if args.out.as_os_str() == "-" {
        return Err("--out must be a file (a .npz archive is binary)".into());
    }
    let morph = match &args.morphology {
        Some(p) => Some((gallery::open(p).map_err(|e| e.to_string())?, gallery::source_label(p))),
        None => None,
    };
    let built =
        ResolvedScene::new(&lesson.scene, morph).map_err(|e| format!("lesson {}: {e}", lesson.name))?;
    let lab = built.lab(&lesson.scene).map_err(|e| format!("lesson {}: {e}", lesson.name))?;
    let dt = lab.sim.config.dt;
    if !(args.bin_ms.is_finite() && args.bin_ms >= dt && args.bin_ms <= 1000.0) {
        return Err(format!(
            "--bin-ms must be within [{dt}, 1000] (the time step is {dt} ms), got {}",
            args.bin_ms
        )
        .into());
    }
    let bin_steps = (args.bin_ms / dt).round() as u64;
    if ((bin_steps as f64) * dt - args.bin_ms).abs() > 1e-9 {
        return Err(
            format!("--bin-ms must be a whole number of time steps ({dt} ms), got {}", args.bin_ms).into()
        );
    }
    let bins = (args.seconds * 1000.0 / args.bin_ms + 1e-9).floor() as usize;
    if bins == 0 {
        return Err(
            format!("--seconds {} is shorter than one bin of {} ms", args.seconds, args.bin_ms).into()
        );
    }
    cond.run_ms = bins as f64 * args.bin_ms;
    // The dendritic probes: the lesson's recorded places off the soma.
    let soma_section = lab.sim.cell.morphology.soma();
    let dend_places: Vec<String> = if args.dendrites {
        lesson
            .scene
            .probes
            .iter()
            .filter(|p| built.places.get(*p).is_some_and(|pl| pl.middle().0 != soma_section))
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    // Bounded memory and time, before anything runs.
    let samples = runs as f64 * bins as f64 * (1 + dend_places.len()) as f64;
    if samples > MAX_SAMPLES as f64 {
        return Err(format!(
            "--runs {runs} x --seconds {} at --bin-ms {} is {samples:.3e} samples, more than the {MAX_SAMPLES} \
             a data set may hold (see docs/limits.md)",
            args.seconds, args.bin_ms
        )
        .into());
    }
    // The seed is not a variable (variables are f64, which holds integers only up to
    // 2^53): each run's seed goes to the run as the integer it is.
    let vars0 = BTreeMap::from([("run_ms".to_string(), cond.run_ms)]);
    let inputs = runs as f64 * expected_inputs(&built, &cond.actions, &vars0);
    if inputs > MAX_DATASET_INPUT_SPIKES {
        return Err(format!(
            "--runs {runs} x --seconds {} would deliver about {inputs:.3e} input spikes, more than the \
             {MAX_DATASET_INPUT_SPIKES:.0} a data set may hold (see docs/limits.md)",
            args.seconds
        )
        .into());
    }
    let steps = runs as f64 * ((lesson.scene.settle_ms + cond.run_ms) / dt).ceil();
    check_work(steps, lab.sim.cell.compartment_count(), args.force)?;
    Ok(Plan { lesson, built, lab, cond, vars: vars0, dend_places, runs, threads, bins, bin_steps })
}

/// The runs, `threads` at a time (one seed each), with a progress line; Ctrl+C or SIGTERM
/// stops them (the runs finished so far are kept). Returns each run's data (`None`: not
/// finished), the first failure, and whether it was stopped.
fn run_all(plan: &Plan, args: &DatasetArgs) -> (Vec<Option<RunData>>, Option<String>, bool) {
    let Plan { runs, threads, bins, .. } = *plan;
    let results: Mutex<Vec<Option<RunData>>> = Mutex::new((0..runs).map(|_| None).collect());
    let failure: Mutex<Option<String>> = Mutex::new(None);
    let next = AtomicU64::new(0);
    let done_bins = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let mut progress = Progress::new(&format!("{runs} runs of {} s", args.seconds));
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    loop {
                        let r = next.fetch_add(1, Ordering::SeqCst) as usize;
                        if r >= runs || stop.load(Ordering::SeqCst) {
                            return;
                        }
                        match one_run(plan, args.seed.wrapping_add(r as u64), &stop, &done_bins) {
                            Ok(Some(d)) => {
                                if let Ok(mut res) = results.lock() {
                                    res[r] = Some(d);
                                }
                            }
                            Ok(None) => return,
                            Err(e) => {
                                if let Ok(mut f) = failure.lock() {
                                    f.get_or_insert(format!(
                                        "run {r} (seed {}): {e}",
                                        args.seed.wrapping_add(r as u64)
                                    ));
                                }
                                stop.store(true, Ordering::SeqCst);
                                return;
                            }
                        }
                    }
                })
            })
            .collect();
        let total = (runs * bins) as f64;
        while !workers.iter().all(|w| w.is_finished()) {
            if !progress.update(done_bins.load(Ordering::SeqCst) as f64 / total) {
                stop.store(true, Ordering::SeqCst);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    });
    let interrupted = progress.finish();
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    (results, failure.into_inner().ok().flatten(), interrupted)
}

pub fn run(args: DatasetArgs) -> Result<(), CliError> {
    let plan = plan(&args)?;
    // The file is made first, so that a bad path fails before the runs: a temporary file
    // beside `--out`, renamed into place when the data set is complete. `--out` itself is
    // never truncated or removed: a run that fails, Ctrl+C or SIGTERM before any run
    // finished leave a previous file of that name as it was.
    let file = SaveFile::create(&args.out)
        .map_err(|e| CliError::Output { what: args.out.display().to_string(), source: e })?;

    let (results, failure, interrupted) = run_all(&plan, &args);
    // A failed data set leaves nothing behind: dropping `file` removes its temporary
    // file, and `--out` is as it was.
    if let Some(e) = failure {
        return Err(CliError::Input(e));
    }
    let finished: Vec<(usize, RunData)> =
        results.into_iter().enumerate().filter_map(|(r, d)| Some((r, d?))).collect();
    if finished.is_empty() {
        return Err(CliError::Interrupted(format!(
            "stopped before any run finished; nothing was written ({} is as it was)",
            args.out.display()
        )));
    }
    let arrays = assemble(&plan, &args, &finished);
    let Plan { lesson, lab, cond, runs, .. } = &plan;
    let out_error = |e| CliError::Output { what: args.out.display().to_string(), source: e };
    let mut w = std::io::BufWriter::new(file);
    write_npz(&mut w, &arrays).map_err(out_error)?;
    w.into_inner().map_err(|e| out_error(e.into_error()))?.commit().map_err(out_error)?;
    let spikes: usize = finished.iter().map(|(_, d)| d.spikes.len()).sum();
    let inputs: usize = finished.iter().map(|(_, d)| d.inputs.iter().map(Vec::len).sum::<usize>()).sum();
    write_stdout(&format!(
        "{}: {} runs of {} s ({} condition '{}'), {} synapses, {inputs} input spikes, {spikes} somatic spikes\n",
        args.out.display(),
        finished.len(),
        args.seconds,
        lesson.name,
        cond.name,
        lab.synapses.len()
    ))?;
    if interrupted {
        return Err(CliError::Interrupted(format!(
            "stopped; the {} runs that had finished (of {runs}) were written",
            finished.len()
        )));
    }
    Ok(())
}

/// One run: the somatic (and dendritic) voltage at the end of every bin, the somatic
/// spikes, the inputs. `None` when stopped.
fn one_run(
    plan: &Plan,
    seed: u64,
    stop: &AtomicBool,
    done_bins: &AtomicU64,
) -> Result<Option<RunData>, String> {
    let Plan { lesson, built, cond, vars, dend_places, bins, bin_steps, .. } = plan;
    let (bins, bin_steps) = (*bins, *bin_steps);
    let mut run = Run::start_seeded(&lesson.scene, built, cond, vars, seed).map_err(|e| e.to_string())?;
    // Only what is written is kept: the lab's own traces sample rarely.
    run.lab.sample_every = u32::MAX;
    let soma = run.lab.probes[0].node;
    let nodes: Vec<u32> = dend_places
        .iter()
        .map(|p| run.probe_of.get(p).map(|&i| run.lab.probes[i].node).ok_or(format!("no probe at '{p}'")))
        .collect::<Result<_, _>>()?;
    let det = run.lab.sim.add_spike_detector(soma, SPIKE_THRESHOLD_MV).map_err(|e| e.to_string())?;
    let mut out = RunData {
        soma: Vec::with_capacity(bins),
        dendrites: vec![Vec::with_capacity(bins); nodes.len()],
        spikes: Vec::new(),
        inputs: Vec::new(),
    };
    // Steps in slices of at most half a millisecond, so that no spike is missed.
    let slice = bin_steps.min((0.5 / run.lab.sim.config.dt).round().max(1.0) as u64);
    let mut seen = 0;
    for _ in 0..bins {
        let mut left = bin_steps;
        while left > 0 {
            let n = left.min(slice);
            run.step(n).map_err(|e| e.to_string())?;
            left -= n;
            let d = &run.lab.sim.detectors[det];
            if d.count > seen {
                seen = d.count;
                // It crossed within the step that ended at `last`: its middle.
                if let Some(t) = d.last {
                    out.spikes.push(t - run.t0 - run.lab.sim.config.dt / 2.0);
                }
            }
        }
        out.soma.push(run.lab.sim.v[soma as usize] as f32);
        for (k, &n) in nodes.iter().enumerate() {
            out.dendrites[k].push(run.lab.sim.v[n as usize] as f32);
        }
        done_bins.fetch_add(1, Ordering::Relaxed);
        if stop.load(Ordering::Relaxed) {
            return Ok(None);
        }
    }
    let end = bins as f64 * bin_steps as f64 * run.lab.sim.config.dt;
    out.inputs = std::mem::take(&mut run.spikes);
    for s in &mut out.inputs {
        s.retain(|&t| t < end);
    }
    Ok(Some(out))
}

/// The arrays of docs/dataset.md.
fn assemble(plan: &Plan, args: &DatasetArgs, finished: &[(usize, RunData)]) -> Vec<Array> {
    let Plan { lesson, built, lab, dend_places, bins, .. } = plan;
    let (bins, condition) = (*bins, plan.cond.name.as_str());
    let n = finished.len();
    let morph = &lab.sim.cell.morphology;
    let mut group_of = vec![String::new(); lab.synapses.len()];
    for (g, members) in &built.groups {
        for &i in members {
            if let Some(slot) = group_of.get_mut(i) {
                *slot = g.clone();
            }
        }
    }
    let syn = &lab.synapses;
    let (mut in_run, mut in_syn, mut in_ms) = (Vec::new(), Vec::new(), Vec::new());
    let (mut sp_run, mut sp_ms) = (Vec::new(), Vec::new());
    let mut soma = Vec::with_capacity(n * bins);
    let mut dend = Vec::with_capacity(n * bins * dend_places.len());
    for (k, (_, d)) in finished.iter().enumerate() {
        for (i, times) in d.inputs.iter().enumerate() {
            for &t in times {
                in_run.push(k as u32);
                in_syn.push(i as u32);
                in_ms.push(t);
            }
        }
        sp_run.extend(d.spikes.iter().map(|_| k as u32));
        sp_ms.extend_from_slice(&d.spikes);
        soma.extend_from_slice(&d.soma);
        for v in &d.dendrites {
            dend.extend_from_slice(v);
        }
    }
    let mut arrays = vec![
        Array::vector("t_ms", Data::F64((1..=bins).map(|k| k as f64 * args.bin_ms).collect())),
        Array::shaped("soma_v_mV", vec![n, bins], Data::F32(soma)),
        Array::vector("soma_spike_run", Data::U32(sp_run)),
        Array::vector("soma_spike_ms", Data::F64(sp_ms)),
        Array::vector("input_spike_run", Data::U32(in_run)),
        Array::vector("input_spike_synapse", Data::U32(in_syn)),
        Array::vector("input_spike_ms", Data::F64(in_ms)),
        Array::vector("synapse_group", Data::Str(group_of)),
        Array::vector("synapse_kind", Data::Str(syn.iter().map(|s| s.kind.label().to_string()).collect())),
        Array::vector(
            "synapse_excitatory",
            Data::Bool(syn.iter().map(|s| s.kind != crate::lab::SynapseKind::GabaA).collect()),
        ),
        Array::vector("synapse_region", Data::Str(syn.iter().map(|s| lab.region_label(s.section)).collect())),
        Array::vector("synapse_section", Data::I32(syn.iter().map(|s| s.section as i32).collect())),
        Array::vector("synapse_x", Data::F64(syn.iter().map(|s| s.x).collect())),
        Array::vector(
            "synapse_distance_um",
            Data::F64(syn.iter().map(|s| morph.path_distance(0.5, s.section, s.x)).collect()),
        ),
        Array::vector("synapse_weight_nS", Data::F64(syn.iter().map(|s| s.weight_ns).collect())),
        Array::vector(
            "synapse_nmda_ratio",
            Data::F64(
                syn.iter()
                    .map(|s| if s.kind == crate::lab::SynapseKind::AmpaNmda { s.nmda_ratio } else { 0.0 })
                    .collect(),
            ),
        ),
        Array::vector(
            "run_seed",
            Data::U64(finished.iter().map(|(r, _)| args.seed.wrapping_add(*r as u64)).collect()),
        ),
        Array::scalar("bin_ms", Data::F64(vec![args.bin_ms])),
        Array::scalar("spike_threshold_mV", Data::F64(vec![SPIKE_THRESHOLD_MV])),
        Array::scalar("lesson", Data::Str(vec![lesson.name.clone()])),
        Array::scalar("condition", Data::Str(vec![condition.to_string()])),
        Array::scalar("morphology", Data::Str(vec![built.source.clone()])),
    ];
    if !dend_places.is_empty() {
        arrays.push(Array::shaped("dend_v_mV", vec![n, dend_places.len(), bins], Data::F32(dend)));
        arrays.push(Array::vector("dend_place", Data::Str(dend_places.to_vec())));
        let at: Vec<(usize, f64)> = dend_places.iter().map(|p| built.places[p].middle()).collect();
        arrays.push(Array::vector("dend_section", Data::I32(at.iter().map(|a| a.0 as i32).collect())));
        arrays.push(Array::vector("dend_x", Data::F64(at.iter().map(|a| a.1).collect())));
        arrays.push(Array::vector(
            "dend_distance_um",
            Data::F64(at.iter().map(|&(s, x)| morph.path_distance(0.5, s, x)).collect()),
        ));
    }
    arrays
}
