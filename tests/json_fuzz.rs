//! Bounded fuzz of the JSON inputs: mutations of the reference model specs, of a saved
//! setup and of the lessons. Parsing and building must never panic; every refusal is a
//! message; whatever builds runs a few steps without a panic (the CLI's and the lab's
//! guards stop runaway voltages). See docs/limits.md.

mod common;
use common::Rng;
use dendra::lab::Lab;
use dendra::lab::lesson::{LESSONS, Lesson};
use dendra::lab::setup::Setup;
use dendra::sim::spec::ModelSpec;
use std::panic::{AssertUnwindSafe, catch_unwind};

const NUMBERS: [&str; 14] = [
    "0", "-1", "1e300", "-1e300", "1e-300", "NaN", "1e9", "0.5", "5", "-0.0", "99999", "3.5", "null", "\"x\"",
];

/// Replaces a number, a string or a bracket of `text`, or cuts it.
fn mutate(rng: &mut Rng, text: &str) -> String {
    let b = text.as_bytes();
    let at = rng.below(b.len());
    match rng.below(4) {
        0 => {
            // Replace the number starting near `at`.
            let start = (at..b.len()).find(|&i| b[i].is_ascii_digit() || b[i] == b'-').unwrap_or(b.len());
            let end = (start..b.len())
                .find(|&i| !(b[i].is_ascii_digit() || b"-+.eE".contains(&b[i])))
                .unwrap_or(b.len());
            format!("{}{}{}", &text[..start], NUMBERS[rng.below(NUMBERS.len())], &text[end..])
        }
        1 => {
            // Replace a string's content.
            let start = (at..b.len()).find(|&i| b[i] == b'"').map_or(b.len(), |i| i + 1);
            let end = (start..b.len()).find(|&i| b[i] == b'"').unwrap_or(b.len());
            let junk = ["apic[99999]", "soma", "nowhere", "", "Ttx", "\u{1F600}", "dend[0]"];
            format!("{}{}{}", &text[..start], junk[rng.below(junk.len())], &text[end..])
        }
        2 => {
            // Cut at a char boundary.
            let mut cut = at;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text[..cut].to_string()
        }
        _ => {
            // Duplicate a stretch (lists grow).
            let mut s = at;
            while !text.is_char_boundary(s) {
                s -= 1;
            }
            let mut e = (s + 1 + rng.below(200)).min(text.len());
            while !text.is_char_boundary(e) {
                e -= 1;
            }
            format!("{}{}{}", &text[..e], &text[s..e], &text[e..])
        }
    }
}

#[test]
fn mutated_specs_never_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("reference/models");
    let mut specs: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    specs.sort();
    let mut rng = Rng(0x5eed_f00d_0000_0011);
    let (mut ok, mut refused) = (0, 0);
    for case in 0..400 {
        let base = &specs[rng.below(specs.len())];
        let mut text = base.clone();
        for _ in 0..1 + rng.below(3) {
            text = mutate(&mut rng, &text);
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| match ModelSpec::from_json(&text) {
            Err(e) => Err(e.to_string()),
            Ok(spec) => spec.build().map_err(|e| e.to_string()).map(|mut m| {
                // A few ms only: the point is that nothing panics.
                m.sim.run_until(m.sim.t() + 2.0);
            }),
        }));
        match outcome {
            Ok(Ok(())) => ok += 1,
            Ok(Err(e)) => {
                assert!(!e.is_empty(), "case {case}: an empty message");
                refused += 1;
            }
            Err(_) => panic!("case {case} panicked on:\n{}", &text[..text.len().min(3000)]),
        }
    }
    assert!(ok > 0 && refused > 0, "ok {ok}, refused {refused}");
}

#[test]
fn mutated_setups_never_panic() {
    let mut lab = Lab::builtin("y_branch").unwrap();
    let d = lab.sim.cell.morphology.sections.iter().position(|s| s.region.is_dendrite()).unwrap();
    lab.add_synapse(d, 0.5, dendra::lab::SynapseKind::AmpaNmda, 1.0).unwrap();
    lab.add_probe(d, 0.7).unwrap();
    lab.add_clamp(d, 0.2, 0.1, 1.0, 5.0).unwrap();
    lab.set_drug(dendra::lab::pharmacology::Drug::Ttx, "soma", true);
    let base = serde_json::to_string_pretty(&lab.to_setup(None, None)).unwrap();
    let mut rng = Rng(0x5eed_f00d_0000_0022);
    let (mut ok, mut refused) = (0, 0);
    for case in 0..300 {
        let mut text = base.clone();
        for _ in 0..1 + rng.below(3) {
            text = mutate(&mut rng, &text);
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let setup: Setup = serde_json::from_str(&text).map_err(|e| e.to_string())?;
            let mut lab = Lab::from_setup(&setup, std::path::Path::new(".")).map_err(|e| e.to_string())?;
            lab.advance(40);
            Ok::<(), String>(())
        }));
        match outcome {
            Ok(Ok(())) => ok += 1,
            Ok(Err(e)) => {
                assert!(!e.is_empty(), "case {case}: an empty message");
                refused += 1;
            }
            Err(_) => panic!("case {case} panicked on:\n{text}"),
        }
    }
    assert!(ok > 0 && refused > 0, "ok {ok}, refused {refused}");
}

#[test]
fn mutated_lessons_never_panic_when_parsed() {
    let mut rng = Rng(0x5eed_f00d_0000_0033);
    for case in 0..300 {
        let (name, base) = LESSONS[rng.below(LESSONS.len())];
        let text = mutate(&mut rng, base);
        let outcome = catch_unwind(AssertUnwindSafe(|| Lesson::from_json(&text, name).map(|_| ())));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => assert!(e.to_string().starts_with(&format!("lesson {name}: ")), "case {case}: {e}"),
            Err(_) => panic!("case {case} panicked on:\n{text}"),
        }
    }
}
