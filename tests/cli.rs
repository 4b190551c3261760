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
