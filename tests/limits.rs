//! Bounded: the rows of the "no input makes Dendra panic, hang or eat the machine" table
//! that concern the command line, each run as a program with a time bound. See
//! docs/limits.md.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs dendra with `args`, killing it after `secs` seconds (a hang is a failure).
fn run(args: &[&str], secs: u64) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dendra"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if t0.elapsed() > Duration::from_secs(secs) {
            child.kill().ok();
            panic!("dendra {args:?} still running after {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn no_panic(o: &Output) {
    let e = stderr(o);
    assert!(!e.contains("panicked") && o.status.code() != Some(101), "panic: {e}");
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dendra-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// `dendra ... | head -1`: a closed pipe ends the program quietly.
#[test]
fn closed_pipe_ends_quietly() {
    let spec = repo().join("reference/models/passive_ball_stick.json");
    let morph = repo().join("morphologies/ca1_pyr_rat_c91662.swc");
    for args in [
        vec!["simulate", spec.to_str().unwrap(), "--out", "-"],
        vec!["morph", morph.to_str().unwrap(), "--json"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dendra"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the read end before anything is read.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        no_panic(&out);
        let code = out.status.code();
        assert!(code == Some(0) || code == Some(141), "{args:?}: {:?} {}", out.status, stderr(&out));
        assert!(stderr(&out).is_empty(), "{args:?}: {}", stderr(&out));
    }
}

/// Output to a full disk: a message and status 1.
#[test]
fn full_disk_is_an_error_not_a_panic() {
    if !std::path::Path::new("/dev/full").exists() {
        return;
    }
    let spec = repo().join("reference/models/passive_ball_stick.json");
    let o = run(&["simulate", spec.to_str().unwrap(), "--out", "/dev/full"], 60);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("/dev/full: cannot write"), "{}", stderr(&o));
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let morph = repo().join("morphologies/ca1_pyr_rat_c91662.swc");
    let o = Command::new(env!("CARGO_BIN_EXE_dendra"))
        .args(["morph", morph.to_str().unwrap()])
        .stdout(full)
        .output()
        .unwrap();
    no_panic(&o);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("standard output: cannot write"), "{}", stderr(&o));
}

/// Files that report 0 bytes and never end are read through a limit.
#[test]
fn endless_files_are_refused() {
    for cmd in ["morph", "simulate"] {
        let mut args = vec![cmd, "/dev/zero"];
        if cmd == "simulate" {
            args.extend(["--out", "-"]);
        }
        let o = run(&args, 60);
        no_panic(&o);
        assert_eq!(o.status.code(), Some(1));
        assert!(
            stderr(&o).contains("/dev/zero: cannot read the file: it is not a regular file"),
            "{}",
            stderr(&o)
        );
    }
}

/// Counts and rates from flags: checked before anything is allocated; negative numbers
/// are values, not flags.
#[test]
fn bench_flags_are_bounded() {
    let cases: [(&[&str], &str); 6] = [
        (&["--syn", "18446744073709551615", "--tstop", "1"], "18446744073709551615 synapses are too many"),
        (&["--syn", "10000000", "--tstop", "1"], "10000000 synapses are too many (at most 100000"),
        (&["--rate", "-5"], "--rate must be positive"),
        (&["--rate", "1e12", "--tstop", "1"], "--rate must be at most 1000 Hz"),
        (&["--tstop", "1e12"], "compartment-steps"),
        (&["--depth", "-1"], "--depth must be within 0..=16"),
    ];
    for (flags, expect) in cases {
        let mut args = vec!["bench", "tree"];
        args.extend_from_slice(flags);
        let o = run(&args, 30);
        no_panic(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(expect), "{args:?}: {}", stderr(&o));
    }
}

fn spec(extra_dend: &str, extra: &str) -> String {
    format!(
        r#"{{"tstop": 20, "dt": 0.025, "v_init": -65, "record_every": 4,
            "sections": [{{"name": "soma", "L": 20, "diam": 20, "nseg": 1, "Ra": 100, "cm": 1,
                           "mechanisms": {{"pas": {{"g": 5e-05, "e": -65}}}}}},
                         {{"name": "dend", "parent": "soma", "L": 200, "diam": 1, "nseg": 5, "Ra": 100, "cm": 1,
                           "mechanisms": {{"pas": {{"g": 5e-05, "e": -65}}}} {extra_dend}}}],
            "record": [{{"section": "soma", "x": 0.5}}] {extra}}}"#
    )
}

/// Runs that leave the sane voltage range stop with where, when and why; runs too
/// large to finish are refused with the figures.
#[test]
fn runaway_and_oversized_runs_are_stopped() {
    let cases = [
        (
            spec("", r#", "iclamps": [{"section": "dend", "x": 0.5, "delay": 1, "dur": 5, "amp": 1e3}]"#),
            "left the sane range",
        ),
        (
            spec(
                "",
                r#", "synapses": [{"section": "dend", "x": 0.5, "kind": "exp2syn", "tau1": 0.5, "tau2": 5, "e": 0, "weight": -1, "times": [1]}]"#,
            ),
            // Refused at load since negative weights are (see below).
            "synapses[0]: weight must be within [0, 1000] uS, got -1",
        ),
        (
            spec("", "")
                .replace(r#""dt": 0.025"#, r#""dt": 1e-10"#)
                .replace(r#""record_every": 4"#, r#""record_every": 1000000000"#),
            "compartment-steps",
        ),
    ];
    for (k, (text, expect)) in cases.iter().enumerate() {
        let path = temp(&format!("spec{k}.json"));
        std::fs::write(&path, text).unwrap();
        let o = run(&["simulate", path.to_str().unwrap(), "--out", "-"], 60);
        no_panic(&o);
        assert_eq!(o.status.code(), Some(1), "case {k}: {}", stderr(&o));
        assert!(stderr(&o).contains(expect), "case {k}: {}", stderr(&o));
        if *expect == "left the sane range" {
            assert!(stderr(&o).contains("dend(") && stderr(&o).contains("t = "), "case {k}: {}", stderr(&o));
        }
    }
}

/// Recording a million probes: the message is about the probe count.
#[test]
fn too_many_probes_name_the_probes() {
    let probes = vec![r#"{"section": "soma", "x": 0.5}"#; 1_000_001].join(",");
    let text = spec("", "")
        .replace(r#""record": [{"section": "soma", "x": 0.5}]"#, &format!(r#""record": [{probes}]"#));
    let path = temp("probes.json");
    std::fs::write(&path, text).unwrap();
    let o = run(&["simulate", path.to_str().unwrap(), "--out", "-"], 60);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("1000001 probes are too many (at most 1000"), "{}", stderr(&o));
}

/// Physically absurd values are refused when the file is read, with the file, the entry
/// and the field (docs/limits.md), instead of giving a flat trace or a message about a
/// node: SWC sizes by line and column, model spec values by entry.
#[test]
fn physically_absurd_inputs_are_refused_at_load() {
    // SWC: a soma of radius 1e9 um gave a flat trace (tau 0.025 ms, Rin -0.000); a
    // coordinate of 10 m went through.
    let swc_cases = [
        (
            "1 1 0 0 0 1e9 -1\n2 3 10 0 0 1 1\n3 3 20 0 0 1 2\n",
            "big_soma.swc:1: '1e9' is out of range (column radius",
        ),
        ("1 1 0 0 0 5 -1\n2 3 10 0 0 1 1\n3 3 1e7 0 0 1 2\n", "far.swc:3: '1e7' is out of range (column x"),
    ];
    for (text, expect) in swc_cases {
        let name = expect.split(':').next().unwrap();
        let path = temp(name);
        std::fs::write(&path, text).unwrap();
        let o = run(&["morph", path.to_str().unwrap()], 60);
        no_panic(&o);
        assert_eq!(o.status.code(), Some(1), "{name}: {}", stderr(&o));
        assert!(stderr(&o).contains(expect), "{name}: {}", stderr(&o));
    }

    // Model specs: (text, what the message must say).
    let dend = r#""nseg": 5, "Ra": 100, "cm": 1"#;
    let clamp = |c: &str| format!(r#", "iclamps": [{c}]"#);
    let syn = |fields: &str| {
        format!(
            r#", "synapses": [{{"section": "dend", "x": 0.5, "kind": "nmda", "tau1": 2, "tau2": 65, "e": 0, "times": [1] {fields}}}]"#
        )
    };
    let cases = [
        (
            spec("", "").replace(dend, r#""nseg": 5, "Ra": 1e-300, "cm": 1"#),
            "sections[1] (dend): Ra must be within [1e-3, 1e7] ohm cm, got 1e-300",
        ),
        (
            spec("", "").replace(dend, r#""nseg": 5, "Ra": 1e9, "cm": 1"#),
            "sections[1] (dend): Ra must be within [1e-3, 1e7] ohm cm, got 1e9",
        ),
        (
            spec("", "").replace(r#""L": 200"#, r#""L": 1e300"#).replace(
                r#""record": [{"section": "soma", "x": 0.5}]"#,
                r#""record": [{"section": "dend", "x": 1e-300}]"#,
            ),
            "sections[1] (dend): L must be within (0, 1e5] um, got 1e300",
        ),
        (
            spec("", "").replace(r#""diam": 1,"#, r#""diam": 5e4,"#),
            "sections[1] (dend): diam must be within (0, 2000] um, got 5e4",
        ),
        (
            spec("", "").replace(dend, r#""nseg": 5, "Ra": 100, "cm": 0"#),
            "sections[1] (dend): cm must be positive (within (0, 1000] uF/cm2), got 0",
        ),
        (
            spec("", "").replace(dend, r#""nseg": 40000, "Ra": 100, "cm": 1"#),
            "sections[1] (dend): nseg must be within 1..=32767, got 40000",
        ),
        (spec(r#", "parent_x": 2"#, ""), "sections[1] (dend): parent_x = 2 is outside [0, 1]"),
        (spec("", "").replace(r#""x": 0.5}]"#, r#""x": 1.5}]"#), "record[0]: x = 1.5 is outside [0, 1]"),
        (
            spec("", &clamp(r#"{"section": "dend", "x": 0.5, "delay": 1, "dur": 5, "amp": 1e4}"#)),
            "iclamps[0]: amp must be within [-1000, 1000] nA, got 1e4",
        ),
        (
            spec("", &clamp(r#"{"section": "dend", "x": 0.5, "delay": 1, "dur": -5, "amp": 1}"#)),
            "iclamps[0]: dur must be >= 0 ms, got -5",
        ),
        (
            spec("", &syn(r#", "weight": -0.001"#)),
            "synapses[0]: weight must be within [0, 1000] uS, got -1e-3",
        ),
        (
            spec("", &syn(r#", "weight": 0.001, "mg": -1"#)),
            "synapses[0]: mg must be within [0, 100] mM, got -1",
        ),
        (
            spec("", &syn(r#", "weight": 0.001, "tau1": 0"#).replace(r#""tau1": 2, "#, "")),
            "synapses[0]: tau1 must be positive (within (0, 1e4] ms), got 0",
        ),
        (
            spec("", &syn(r#", "weight": 0.001"#).replace(r#""e": 0"#, r#""e": 1e5"#)),
            "synapses[0]: e must be within [-1000, 1000] mV, got 1e5",
        ),
        (
            spec("", &syn(r#", "weight": 0.001"#).replace("[1]", "[1, -3]")),
            "synapses[0]: times[1] must be >= 0 ms, got -3",
        ),
        (
            spec("", "").replace(r#""v_init": -65"#, r#""v_init": 5000"#),
            "v_init must be within [-1000, 1000] mV, got 5000",
        ),
        (
            spec("", "").replace(r#""tstop": 20"#, r#""tstop": 20, "celsius": 1e6"#),
            "celsius must be within [0, 100] degC, got 1e6",
        ),
        (
            spec("", "").replace(r#""g": 5e-05, "e": -65}} }"#, r#""g": -1, "e": -65}} }"#),
            "sections[1] (dend): pas: g must not be negative",
        ),
    ];
    for (k, (text, expect)) in cases.iter().enumerate() {
        let name = format!("absurd{k}.json");
        let path = temp(&name);
        std::fs::write(&path, text).unwrap();
        let o = run(&["simulate", path.to_str().unwrap(), "--out", "-"], 60);
        no_panic(&o);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "case {k}: {e}");
        assert!(e.contains(&format!("{name}: {expect}")), "case {k}: expected '{expect}' in: {e}");
    }
}

/// `dendra simulate` finishes for any time step it accepts (up to 10 ms): it stepped in
/// 1 ms slices, and a slice shorter than half a step took no step and never ended.
#[test]
fn long_time_steps_finish() {
    let text = std::fs::read_to_string(repo().join("reference/models/passive_ball_stick.json")).unwrap();
    for dt in ["2", "5", "10"] {
        let spec = temp(&format!("dt{dt}.json"));
        std::fs::write(&spec, text.replace(r#""dt": 0.025"#, &format!(r#""dt": {dt}"#))).unwrap();
        let o = run(&["simulate", spec.to_str().unwrap(), "--out", "-"], 60);
        no_panic(&o);
        assert_eq!(o.status.code(), Some(0), "dt {dt}: {}", stderr(&o));
        let rows = String::from_utf8_lossy(&o.stdout).lines().count();
        assert!(rows > 2, "dt {dt}: {rows} rows");
    }
}

/// A FIFO is never opened for reading (it would block before anything opens), and a
/// file that is not a morphology is said to be one without quoting its content.
#[cfg(unix)]
#[test]
fn fifos_and_strangers_files_are_refused_without_blocking_or_quoting() {
    let fifo = temp("fifo.swc");
    let _ = std::fs::remove_file(&fifo);
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let o = run(&["morph", fifo.to_str().unwrap()], 20);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    let env = temp("secrets.swc");
    std::fs::write(&env, "DB_PASSWORD=hunter2 a b c d e f g\n").unwrap();
    let o = run(&["morph", env.to_str().unwrap()], 20);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("this is not an SWC morphology"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("hunter2") && !stderr(&o).contains("DB_PASS"), "{}", stderr(&o));
}

/// Zero-length sections as real files have them (a soma point written twice, points at
/// one place) load as a valid cell, as NEURON's Import3d loads them.
#[test]
fn zero_length_sections_load() {
    for (name, text) in [
        ("dupsoma.swc", "1 1 0 0 0 5 -1\n2 1 0 0 0 5 1\n3 3 0 0 0 1 2\n4 3 0 20 0 1 3\n"),
        ("coincident.swc", "1 1 0 0 0 5 -1\n2 3 5 0 0 1 1\n3 3 5 0 0 1 2\n4 3 5 0 0 1 3\n5 3 25 0 0 1 2\n"),
    ] {
        let f = temp(name);
        std::fs::write(&f, text).unwrap();
        let o = run(&["morph", f.to_str().unwrap(), "--json"], 30);
        no_panic(&o);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(v["rin_mohm"].as_f64().unwrap() > 0.0, "{name}: {v}");
        assert!(v["soma_area_um2"].as_f64().unwrap() > 0.0, "{name}: {v}");
    }
}

/// Absurd flags: a frame count that would wrap is refused by its bounds; an estimate of
/// absurd work is short; an unknown lesson or a picture that cannot be written is said
/// before a window opens, with status 1.
#[test]
fn absurd_flags_are_refused_before_anything_runs() {
    let o = run(&["--frames", "4294967295", "--screenshot", "x.png"], 20);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--frames"), "{}", stderr(&o));
    let o = run(&["bench", "tree", "--tstop", "1e300"], 20);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).len() < 400 && stderr(&o).contains("years"), "{}", stderr(&o));
    if cfg!(feature = "app") {
        let o = run(&["--lesson", "bogus", "--screenshot", temp("l.png").to_str().unwrap()], 20);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(stderr(&o).contains("bogus"), "{}", stderr(&o));
        let dir = temp("a-folder");
        std::fs::create_dir_all(&dir).unwrap();
        for bad in ["/nonexistent/x.png", dir.to_str().unwrap()] {
            let o = run(&["--screenshot", bad, "--frames", "1"], 20);
            assert_eq!(o.status.code(), Some(1), "{bad}: {}", stderr(&o));
            assert!(
                stderr(&o).contains("--screenshot") && stderr(&o).contains("cannot write"),
                "{}",
                stderr(&o)
            );
        }
    }
}

/// Output paths are checked before the work: `simulate` with an unwritable `--out` fails
/// at once, and `lesson check --traces` naming a file says it must be a folder.
#[test]
fn output_paths_are_checked_before_the_work() {
    let spec = repo().join("reference/models/passive_ball_stick.json");
    let t0 = Instant::now();
    let o = run(&["simulate", spec.to_str().unwrap(), "--out", "/nonexistent/dir/out.csv"], 30);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("/nonexistent/dir/out.csv"), "{}", stderr(&o));
    assert!(t0.elapsed() < Duration::from_secs(10));
    let file = temp("traces-is-a-file");
    std::fs::write(&file, "x").unwrap();
    let o = run(&["lesson", "check", "bap", "--traces", file.to_str().unwrap()], 30);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--traces names a folder"), "{}", stderr(&o));
}

/// A 4 KB file of 75 dendrites 99 mm long and 0.04 um thick: over a million compartments.
/// `morph` measures it in seconds (one tree solve for the input resistance, a short run
/// for the time constant; it took about 20 minutes), and `lesson check` refuses the
/// lesson's runs on it at once with the work estimate (beyond the limit without --force).
#[test]
fn a_small_file_of_a_huge_cell_is_measured_quickly_or_refused_with_the_estimate() {
    let mut text = String::from("1 1 0 0 0 10 -1\n");
    for d in 0..75 {
        let a = std::f64::consts::TAU * d as f64 / 75.0;
        let kind = if d % 2 == 0 { 3 } else { 4 };
        let (id, tip) = (2 + 2 * d, 3 + 2 * d);
        text += &format!("{id} {kind} {:.3} {:.3} 0 0.02 1\n", 10.0 * a.cos(), 10.0 * a.sin());
        text += &format!("{tip} {kind} {:.1} {:.1} 0 0.02 {id}\n", 99000.0 * a.cos(), 99000.0 * a.sin());
    }
    let f = temp("huge.swc");
    std::fs::write(&f, text).unwrap();
    let t0 = Instant::now();
    let o = run(&["morph", f.to_str().unwrap(), "--json"], 120);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["compartments"].as_u64().unwrap() > 1_000_000, "{v}");
    assert!(v["rin_mohm"].as_f64().unwrap() > 0.0 && v["tau_ms"].as_f64().unwrap() > 0.0, "{v}");
    eprintln!("morph of {} compartments: {:?}", v["compartments"], t0.elapsed());
    let t0 = Instant::now();
    let o = run(&["lesson", "check", "nmda-spike", "--morphology", f.to_str().unwrap()], 60);
    no_panic(&o);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("compartment-steps") && stderr(&o).contains("--force"), "{}", stderr(&o));
    assert!(t0.elapsed() < Duration::from_secs(20), "the refusal took {:?}", t0.elapsed());
}
