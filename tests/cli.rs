//! The command line, run as a program.

use std::path::PathBuf;
use std::process::Command;

fn dendra() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dendra"))
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn morph_json_prints_one_object_with_the_keys() {
    let out = dendra()
        .args(["morph", "--json"])
        .arg(repo().join("morphologies/l5pc_mouse_allen_rbp4_491766131.swc"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in
        ["file", "sections", "compartments", "length_um", "area_um2", "soma_area_um2", "rin_mohm", "tau_ms"]
    {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert!(v["warnings"].is_array());
    assert_eq!(v["sections"], 103);
}

#[test]
fn morph_refuses_a_bad_file_with_its_line() {
    let out = dendra()
        .args(["morph", "--json"])
        .arg(repo().join("tests/data/morphologies/malformed_missing_parent_treem.swc"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("malformed_missing_parent_treem.swc:"), "{err}");
    assert!(err.contains("does not exist"), "{err}");
}

#[test]
fn simulate_writes_the_reference_csv_form() {
    let dir = std::env::temp_dir().join(format!("dendra-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out_csv = dir.join("out.csv");
    let out = dendra()
        .arg("simulate")
        .arg(repo().join("reference/models/passive_ball_stick.json"))
        .arg("--out")
        .arg(&out_csv)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&out_csv).unwrap();
    assert!(text.starts_with("t,soma(0.5),dend(0.5),dend(1.0)\n0.0000,-65.000000,"), "{}", &text[..80]);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn simulate_refuses_bad_specs_clearly() {
    let dir = std::env::temp_dir().join(format!("dendra-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let base = r#"{"tstop": 10, "sections": [{"name": "soma", "L": 20, "diam": 20, "nseg": 1, "Ra": 100, "cm": 1, "mechanisms": {"hh": {}}} SECS], "record": [{"section": "soma", "x": 0.5}] EXTRA}"#;
    let cases = [
        (base.replace("SECS", "").replace("EXTRA", r#", "iclamps": [{"section": "nope", "x": 0.5, "delay": 1, "dur": 1, "amp": 1}]"#), "unknown section 'nope'"),
        (base.replace("SECS", r#", {"name": "a", "parent": "b", "L": 10, "diam": 1}, {"name": "b", "parent": "a", "L": 10, "diam": 1}"#).replace("EXTRA", ""), "cycle"),
        (base.replace("SECS", "").replace("EXTRA", r#", "iclamps": [{"section": "soma", "x": 1.5, "delay": 1, "dur": 1, "amp": 1}]"#), "outside [0, 1]"),
        (base.replace("SECS", r#", {"name": "a", "parent": "soma", "L": -10, "diam": 1}"#).replace("EXTRA", ""), "L must be positive"),
        (base.replace("\"hh\"", "\"hhh\"").replace("SECS", "").replace("EXTRA", ""), "unknown mechanism 'hhh'"),
        (base.replace("\"hh\": {}", "\"hh\": {\"gnabar\": -1}").replace("SECS", "").replace("EXTRA", ""), "must not be negative"),
        ("{ not json".to_string(), "not a valid model spec"),
        (base.replace("\"tstop\": 10", "\"tstop\": 1e7, \"dt\": 0.001, \"record_every\": 1").replace("SECS", "").replace("EXTRA", ""), "too many to keep"),
    ];
    for (k, (spec, expect)) in cases.iter().enumerate() {
        let p = dir.join(format!("bad{k}.json"));
        std::fs::write(&p, spec).unwrap();
        let out = dendra().arg("simulate").arg(&p).args(["--out", "-"]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "case {k} should fail");
        assert!(err.contains(expect), "case {k}: expected '{expect}' in: {err}");
        assert!(err.contains(&format!("bad{k}.json")), "case {k}: message should name the file: {err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bench_tree_prints_one_json_line() {
    let out = dendra()
        .args(["bench", "tree", "--depth", "2", "--nseg", "3", "--syn", "4", "--tstop", "20"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["compartments"], 1 + 3 * 6);
    assert_eq!(v["steps"], 800);
    for key in ["engine", "wall_s", "realtime_factor", "soma_spikes"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
}

#[cfg(feature = "app")]
#[test]
fn the_lab_refuses_a_bad_morphology_before_opening_a_window() {
    let out = dendra()
        .arg("--morphology")
        .arg(repo().join("tests/data/morphologies/malformed_bad_syntax_treem.swc"))
        .args(["--screenshot", "/nonexistent/never.png", "--frames", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("malformed_bad_syntax_treem.swc:1:"), "{err}");
}

#[cfg(feature = "app")]
#[test]
fn the_lab_refuses_a_bad_setup_before_opening_a_window() {
    let dir = std::env::temp_dir().join(format!("dendra-cli-setup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("lecture.json");
    std::fs::write(
        &p,
        r#"{"version": 1, "cell": "builtin:no_such_cell", "mg_mm": 1, "nmda_gamma": 0.062, "speed": 50}"#,
    )
    .unwrap();
    let out = dendra().arg("--setup").arg(&p).args(["--screenshot", "/nonexistent/x.png"]).output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("lecture.json: no_such_cell: no such cell in the gallery")
    );
    std::fs::write(&p, "not json").unwrap();
    let out = dendra().arg("--setup").arg(&p).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("lecture.json: not a Dendra setup"));
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(feature = "app")]
#[test]
fn without_a_display_the_lab_says_so_instead_of_panicking() {
    let out = dendra()
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .args(["--frames", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no display"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn lesson_list_and_check() {
    let out = dendra().args(["lesson", "list"]).output().unwrap();
    assert!(out.status.success());
    let names = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(names.lines().any(|l| l == "action-potential"), "{names}");
    let out = dendra().args(["lesson", "check", "action-potential", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["lesson", "morphology", "holds", "claims", "threshold_na", "width_ms"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["holds"], true);
    let out = dendra().args(["lesson", "check", "nonsense"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no lesson called 'nonsense'"));
    let out = dendra().args(["lesson", "check", "bap", "--morphology", "ball_and_stick"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no apical dendrite"));
}

/// The members of a stored zip archive, from its central directory: (name, offset of the
/// member's data, size).
fn zip_members(bytes: &[u8]) -> Vec<(String, usize, usize)> {
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]) as usize;
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let end = bytes.len() - 22;
    assert_eq!(u32_at(end), 0x0605_4b50, "an end-of-central-directory record");
    let mut at = u32_at(end + 16);
    let mut out = Vec::new();
    for _ in 0..u16_at(end + 10) {
        assert_eq!(u32_at(at), 0x0201_4b50);
        assert_eq!(u16_at(at + 10), 0, "stored, not compressed");
        let (size, name_len, local) = (u32_at(at + 20), u16_at(at + 28), u32_at(at + 42));
        let name = String::from_utf8(bytes[at + 46..at + 46 + name_len].to_vec()).unwrap();
        assert_eq!(u32_at(local), 0x0403_4b50, "{name}: a local header");
        out.push((name, local + 30 + u16_at(local + 26) + u16_at(local + 28), size));
        at += 46 + name_len;
    }
    out
}

#[test]
fn dataset_writes_a_numpy_archive() {
    let dir = std::env::temp_dir().join(format!("dendra-cli-dataset-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("deep.npz");
    let out = dendra()
        .args(["dataset", "--lesson", "deep-neuron", "--seconds", "0.2", "--runs", "2", "--seed", "3"])
        .args(["--threads", "2", "--dendrites", "--out"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 runs of 0.2 s"));
    let bytes = std::fs::read(&file).unwrap();
    let members = zip_members(&bytes);
    let names: Vec<&str> = members.iter().map(|m| m.0.as_str()).collect();
    // The layout of docs/dataset.md.
    for n in [
        "t_ms",
        "soma_v_mV",
        "soma_spike_run",
        "soma_spike_ms",
        "input_spike_run",
        "input_spike_synapse",
        "input_spike_ms",
        "synapse_group",
        "synapse_kind",
        "synapse_excitatory",
        "synapse_region",
        "synapse_section",
        "synapse_x",
        "synapse_distance_um",
        "synapse_weight_nS",
        "synapse_nmda_ratio",
        "run_seed",
        "bin_ms",
        "spike_threshold_mV",
        "lesson",
        "condition",
        "morphology",
        "dend_v_mV",
        "dend_place",
        "dend_section",
        "dend_x",
        "dend_distance_um",
    ] {
        assert!(names.contains(&format!("{n}.npy").as_str()), "{n} missing from {names:?}");
    }
    let header = |name: &str| -> String {
        let (_, at, _) = members.iter().find(|m| m.0 == format!("{name}.npy")).unwrap();
        assert_eq!(&bytes[*at..*at + 8], b"\x93NUMPY\x01\x00");
        let len = u16::from_le_bytes([bytes[at + 8], bytes[at + 9]]) as usize;
        String::from_utf8(bytes[at + 10..at + 10 + len].to_vec()).unwrap()
    };
    let h = header("soma_v_mV");
    assert!(h.contains("'descr': '<f4'") && h.contains("'shape': (2, 200)"), "{h}");
    assert!(header("dend_v_mV").contains("'shape': (2, 2, 200)"));
    assert!(header("synapse_kind").contains("'shape': (500,)"));
    assert!(header("input_spike_ms").contains("'descr': '<f8'"));
    // Some input spikes arrived in 0.2 s of 500 synapses.
    let (_, _, size) = members.iter().find(|m| m.0 == "input_spike_ms.npy").unwrap();
    assert!(*size > 128 + 8 * 100, "{size}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn dataset_refuses_bad_arguments_with_the_flag() {
    let dir = std::env::temp_dir().join(format!("dendra-cli-dataset-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("x.npz");
    let f = file.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["--lesson", "nonsense", "--out", f], "no lesson called 'nonsense'"),
        (&["--lesson", "deep-neuron", "--seconds", "0", "--out", f], "--seconds must be above 0"),
        (
            &["--lesson", "deep-neuron", "--seconds", "1e9", "--out", f],
            "--seconds must be above 0 and at most 60",
        ),
        (&["--lesson", "deep-neuron", "--runs", "0", "--out", f], "--runs must be 1 to"),
        (&["--lesson", "deep-neuron", "--threads", "0", "--out", f], "--threads must be 1 to"),
        (&["--lesson", "deep-neuron", "--bin-ms", "0.03", "--out", f], "--bin-ms must be a whole number"),
        (
            &["--lesson", "deep-neuron", "--condition", "nope", "--out", f],
            "no condition 'nope' (it has nmda, apv)",
        ),
        (
            &["--lesson", "deep-neuron", "--seconds", "60", "--runs", "5000", "--out", f],
            "a data set may hold",
        ),
        (&["--lesson", "deep-neuron", "--out", "-"], "--out must be a file"),
        (
            &["--lesson", "deep-neuron", "--seconds", "0.01", "--out", "/nonexistent/dir/x.npz"],
            "/nonexistent/dir/x.npz",
        ),
    ];
    for (args, expect) in cases {
        let out = dendra().arg("dataset").args(*args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(err.contains(expect), "{args:?}: expected '{expect}' in: {err}");
        assert!(!file.exists(), "{args:?} left a file");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A window size out of range, or a trial without a screenshot, is refused before anything
/// opens, with the flag named.
#[test]
fn window_options_are_checked_before_anything_opens() {
    let out = dendra().args(["--size", "10x10"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--size") && err.contains("'10x10' is not a size such as 1280x720"), "{err}");
    let out = dendra().args(["--trial", "apv"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--screenshot"), "{err}");
}

/// `dendra mechanisms --json` lists the catalogue: every mechanism the engine builds,
/// with each parameter's unit, default and bounds, and the ions it reads and writes.
#[test]
fn mechanisms_lists_the_catalogue() {
    let out = dendra().args(["mechanisms", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = list.as_array().unwrap();
    let names: Vec<&str> = list.iter().map(|m| m["name"].as_str().unwrap()).collect();
    let known: Vec<&str> = dendra::sim::mechanisms::catalogue::names().collect();
    assert_eq!(names, known);
    let pool = list.iter().find(|m| m["name"] == "CaDynamics_E2").unwrap();
    assert_eq!(pool["writes"], serde_json::json!(["cai"]));
    let decay = pool["params"].as_array().unwrap().iter().find(|p| p["name"] == "decay").unwrap();
    assert_eq!((decay["unit"].as_str(), decay["default"].as_f64()), (Some("ms"), Some(80.0)));
}

/// Seeds are integers end to end: above 2^53 each run still has its own inputs.
#[test]
fn dataset_seeds_above_2_pow_53_give_distinct_runs() {
    let dir = std::env::temp_dir().join(format!("dendra-cli-seed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("seeds.npz");
    let out = dendra()
        .args(["dataset", "--lesson", "deep-neuron", "--seconds", "0.05", "--runs", "2", "--threads", "1"])
        .args(["--seed", "18446744073709551000", "--out"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(&file).unwrap();
    let members = zip_members(&bytes);
    let data = |name: &str| -> &[u8] {
        let (_, at, size) = members.iter().find(|m| m.0 == format!("{name}.npy")).unwrap();
        let len = u16::from_le_bytes([bytes[at + 8], bytes[at + 9]]) as usize;
        &bytes[at + 10 + len..at + size]
    };
    let seeds: Vec<u64> =
        data("run_seed").chunks(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())).collect();
    assert_eq!(seeds, vec![18446744073709551000, 18446744073709551001]);
    let runs: Vec<u32> =
        data("input_spike_run").chunks(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect();
    let ms: Vec<f64> =
        data("input_spike_ms").chunks(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect();
    let of =
        |r: u32| -> Vec<f64> { runs.iter().zip(&ms).filter(|(k, _)| **k == r).map(|(_, t)| *t).collect() };
    let (a, b) = (of(0), of(1));
    assert!(!a.is_empty() && a != b, "the two runs received the same inputs");
    // A lesson condition that needs a figure's variable: the message says which can.
    let out = dendra()
        .args(["dataset", "--lesson", "perceptron", "--runs", "1", "--seconds", "0.01", "--out"])
        .arg(dir.join("p.npz"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("needs the variable '$k'") && err.contains("deep-neuron (nmda, apv)"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// `--out` is never truncated or removed: SIGTERM before any run finished leaves a
/// previous data set of that name as it was and no temporary file, and the status says
/// the work was stopped (130), as for Ctrl+C.
#[cfg(unix)]
#[test]
fn an_interrupted_dataset_keeps_the_previous_file() {
    let dir = std::env::temp_dir().join(format!("dendra-cli-sigterm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("deep.npz");
    std::fs::write(&file, b"a previous good data set").unwrap();
    let mut child = dendra()
        .args(["dataset", "--lesson", "deep-neuron", "--seconds", "30", "--runs", "1", "--out"])
        .arg(&file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Past the checks and into the run (the handler is installed before the run starts).
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let t0 = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t0.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().ok();
            panic!("dataset did not stop after SIGTERM");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(err.contains("stopped before any run finished"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), b"a previous good data set");
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 1, "a temporary file was left: {left:?}");
    std::fs::remove_dir_all(&dir).ok();
}
