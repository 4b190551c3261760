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
        assert!(stderr(&o).contains("/dev/zero: the file is too large"), "{}", stderr(&o));
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
            spec("", r#", "iclamps": [{"section": "dend", "x": 0.5, "delay": 1, "dur": 5, "amp": 1e300}]"#),
            "left the sane range",
        ),
        (
            spec(
                "",
                r#", "synapses": [{"section": "dend", "x": 0.5, "kind": "exp2syn", "tau1": 0.5, "tau2": 5, "e": 0, "weight": -1, "times": [1]}]"#,
            ),
            "left the sane range",
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
