//! Bounded fuzz test of the SWC reader: random trees, random garbage, and mutations of
//! the SWC files in `morphologies/` and `tests/data/morphologies/`. The reader must never panic; every Ok
//! must keep the ordering guarantees with finite values and radii at least
//! `MIN_RADIUS_UM`; every Err must display as `file:line: problem`.

mod common;
use common::{Rng, downstream, preview};
use dendra::sim::morphology::Morphology;
use dendra::sim::morphology::swc::{MIN_RADIUS_UM, SwcData, parse_swc};
use std::collections::HashSet;
use std::panic::catch_unwind;

const DIRS: [&str; 2] = [
    concat!(env!("CARGO_MANIFEST_DIR"), "/morphologies"),
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/morphologies"),
];
const FILE: &str = "fuzz.swc";

/// Parses under catch_unwind and checks the result; returns whether it was Ok.
fn check(text: &str, case: &str) -> bool {
    let result = catch_unwind(|| parse_swc(text, FILE));
    let result = match result {
        Ok(r) => r,
        Err(_) => panic!("parse_swc panicked on {case}:\n{}", preview(text)),
    };
    match result {
        Ok(d) => {
            if let Err(why) = invariants(&d) {
                panic!("{case}: {why}\n{}", preview(text));
            }
            downstream(Morphology::from_swc_data(&d), case, text);
            true
        }
        Err(e) => {
            let shown = e.to_string();
            let prefix = match e.line {
                Some(l) => {
                    let lines = text.split('\n').count().max(text.split('\r').count());
                    assert!(l >= 1 && l <= lines, "{case}: line {l} of {lines}: {shown}");
                    format!("{FILE}:{l}: ")
                }
                None => format!("{FILE}: "),
            };
            assert!(shown.starts_with(&prefix), "{case}: {shown}");
            assert!(shown.len() > prefix.len(), "{case}: empty message");
            assert!(shown.len() < 400, "{case}: message too long: {shown}");
            false
        }
    }
}

fn invariants(d: &SwcData) -> Result<(), String> {
    let n = d.points.len();
    if n == 0 || d.parent.len() != n {
        return Err(format!("{n} points, {} parents", d.parent.len()));
    }
    if d.parent[0].is_some() {
        return Err("index 0 has a parent".into());
    }
    for i in 1..n {
        match d.parent[i] {
            Some(j) if j < i => {
                if d.points[j].id != d.points[i].parent_id {
                    return Err(format!("parent index of {i} does not match its parent id"));
                }
            }
            None if d.points[i].parent_id < 0 => {} // a fragment's root
            other => return Err(format!("parent of {i} is {other:?}")),
        }
    }
    let mut ids = HashSet::with_capacity(n);
    for p in &d.points {
        if !ids.insert(p.id) {
            return Err(format!("duplicate id {}", p.id));
        }
        if !(p.radius.is_finite() && p.radius >= MIN_RADIUS_UM) {
            return Err(format!("radius {} of point {}", p.radius, p.id));
        }
        if !p.pos.iter().all(|v| v.is_finite()) {
            return Err(format!("position {:?} of point {}", p.pos, p.id));
        }
    }
    // Id order whenever it puts parents first and no reordering was reported.
    let sorted = d.points.windows(2).all(|w| w[0].id < w[1].id);
    let reordered = d.warnings.iter().any(|w| w.contains("reordered"));
    if sorted == reordered {
        return Err(format!("id-sorted {sorted} but reorder warning {reordered}"));
    }
    if d.points.iter().filter(|p| p.kind == 1).count() > 0 {
        // One soma group: exactly one type-1 point has a parent that is not type 1.
        let tops = (0..n)
            .filter(|&i| d.points[i].kind == 1)
            .filter(|&i| d.parent[i].is_none_or(|j| d.points[j].kind != 1))
            .count();
        if tops != 1 {
            return Err(format!("{tops} soma groups"));
        }
    }
    Ok(())
}

/// A number as a file might write it.
fn write_number(rng: &mut Rng, v: f64) -> String {
    match rng.below(6) {
        0 => format!("{v}"),
        1 => format!("{v:.3}"),
        2 => format!("{v:e}"),
        3 if v.fract() == 0.0 => format!("{v:.0}."),
        4 if v.abs() < 1.0 && v >= 0.0 => format!("{v:.4}").trim_start_matches('0').to_string(),
        _ => format!("{v:.6}"),
    }
}

/// A random valid tree: unique ids (any start, gaps, shuffled), one soma group at
/// the root, parents before or after children. Returns the text and the point count.
fn random_tree(rng: &mut Rng) -> (String, usize) {
    let max = if rng.chance(10) { 2000 } else { 60 };
    let n = 1 + rng.below(max);
    let first = rng.below(3) as i64;
    let mut ids: Vec<i64> = Vec::with_capacity(n);
    let mut next = first;
    for _ in 0..n {
        ids.push(next);
        next += 1 + if rng.chance(20) { rng.below(5) as i64 } else { 0 };
    }
    // Relabel: shuffle the ids among the tree positions sometimes (parents after
    // children).
    if rng.chance(30) {
        for i in (1..n).rev() {
            let j = rng.below(i + 1);
            ids.swap(i, j);
        }
    }
    let somas = if n > 1 { rng.below(4) } else { 1 };
    let mut lines = Vec::with_capacity(n);
    for i in 0..n {
        // Tree position i: parent at a lower position; soma chain on positions < somas.
        let parent = if i == 0 {
            None
        } else if i < somas {
            Some(i - 1)
        } else {
            Some(rng.below(i))
        };
        let kind = if i < somas {
            "1".to_string()
        } else {
            rng.pick(&["2", "3", "4", "3", "3", "0", "5", "12", "-7"]).to_string()
        };
        let x = (rng.float() - 0.5) * 2000.0;
        let y = (rng.float() - 0.5) * 2000.0;
        let z = (rng.float() - 0.5) * 200.0;
        let r = if rng.chance(5) { 0.0 } else { rng.float() * 5.0 };
        let ws = |rng: &mut Rng| rng.pick(&[" ", "  ", "\t", " \t ", "\r "]).to_string();
        let mut line = String::new();
        if rng.chance(10) {
            line.push_str(&ws(rng));
        }
        let pid = match parent {
            None => rng.pick(&["-1", "-1", "-1.0", "-2"]).to_string(),
            Some(p) => ids[p].to_string(),
        };
        let cols = [
            ids[i].to_string(),
            kind,
            write_number(rng, x),
            write_number(rng, y),
            write_number(rng, z),
            write_number(rng, r),
            pid,
        ];
        for (c, col) in cols.iter().enumerate() {
            if c > 0 {
                line.push_str(&ws(rng));
            }
            line.push_str(col);
        }
        if rng.chance(3) {
            line.push_str(" 17 extra");
        }
        if rng.chance(3) {
            line.push_str(" # note");
        }
        lines.push(line);
    }
    // File order: shuffled sometimes, with comments and blank lines in between.
    if rng.chance(30) {
        for i in (1..n).rev() {
            let j = rng.below(i + 1);
            lines.swap(i, j);
        }
    }
    let eol = rng.pick(&["\n", "\r\n", "\r\r\n"]);
    let mut text = String::new();
    if rng.chance(50) {
        text.push_str("# random tree\n#\n");
    }
    for l in lines {
        if rng.chance(5) {
            text.push_str(rng.pick(&["", "# c", "   # c", "\r", " \t "]));
            text.push_str(eol);
        }
        text.push_str(&l);
        text.push_str(eol);
    }
    (text, n)
}

const GARBAGE: &[&str] = &[
    "",
    "x",
    "1 1",
    "1 1 0 0 0 1",
    "1 1 0 0 0 1 -1",
    "2 3 0 0 0 1 1",
    "NaN NaN NaN NaN NaN NaN NaN",
    "inf 1 0 0 0 1 -1",
    "-1 -1 -1 -1 -1 -1 -1",
    "1e308 1 1e308 1e308 1e308 1e308 1e308",
    "9223372036854775807 1 0 0 0 1 9223372036854775807",
    "-9223372036854775808 1 0 0 0 1 -9223372036854775808",
    "3.5 2.5 0 0 0 1 1.5",
    "0 0 0 0 0 0 0",
    "#",
    "\r\r\r",
    "\u{feff}1 1 0 0 0 1 -1",
    "é ü 漢 字 \u{0} \u{7f} \u{ffff}",
    "1,1,0,0,0,1,-1",
    "0x10 1 0 0 0 1 -1",
    "1 1 0 0 0 -0 -1",
    "1 1 0 0 0 1e-320 -1",
];

fn garbage_line(rng: &mut Rng) -> String {
    if rng.chance(50) {
        return rng.pick(GARBAGE).to_string();
    }
    // Random tokens.
    let count = rng.below(10);
    let mut s = String::new();
    for _ in 0..count {
        let tok = match rng.below(5) {
            0 => (rng.below(20) as i64 - 3).to_string(),
            1 => format!("{}", (rng.float() - 0.3) * 100.0),
            2 => rng.pick(&["nan", "-inf", "1e999", "-1e-999", ".", "-", "e5", "+", "#"]).to_string(),
            3 => {
                let len = rng.below(6);
                (0..len).map(|_| char::from(32 + rng.below(95) as u8)).collect()
            }
            _ => "1".to_string(),
        };
        s.push_str(&tok);
        s.push(if rng.chance(80) { ' ' } else { '\t' });
    }
    s
}

#[test]
fn swc_random_valid_trees_load_whole() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for case in 0..1500 {
        let (text, n) = random_tree(&mut rng);
        let d = match catch_unwind(|| parse_swc(&text, FILE)) {
            Ok(Ok(d)) => d,
            Ok(Err(e)) => panic!("random tree {case} failed: {e}\n{}", preview(&text)),
            Err(_) => panic!("random tree {case} panicked\n{}", preview(&text)),
        };
        if let Err(why) = invariants(&d) {
            panic!("random tree {case}: {why}\n{}", preview(&text));
        }
        assert_eq!(d.points.len(), n, "random tree {case}");
    }
}

#[test]
fn swc_random_trees_with_garbage_never_panic() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let mut oks = 0;
    for case in 0..1500 {
        let (text, _) = random_tree(&mut rng);
        let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
        let edits = 1 + rng.below(4);
        for _ in 0..edits {
            let at = rng.below(lines.len() + 1);
            if rng.chance(50) || at == lines.len() {
                lines.insert(at, garbage_line(&mut rng));
            } else {
                lines[at] = garbage_line(&mut rng);
            }
        }
        if check(&lines.join("\n"), &format!("garbage case {case}")) {
            oks += 1;
        }
    }
    // Garbage often still parses (comments, blank lines): both outcomes occur.
    assert!(oks > 0 && oks < 1500, "{oks} of 1500 parsed");
}

#[test]
fn swc_pure_garbage_never_panics() {
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    for case in 0..2000 {
        let count = rng.below(30);
        let text: Vec<String> = (0..count).map(|_| garbage_line(&mut rng)).collect();
        let eol = rng.pick(&["\n", "\r\n", "\r"]);
        check(&text.join(eol), &format!("pure garbage {case}"));
    }
}

/// One random mutation of a file's bytes.
fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) {
    let line_starts = |b: &[u8]| -> Vec<usize> {
        let mut v = vec![0];
        v.extend(b.iter().enumerate().filter(|(_, c)| **c == b'\n').map(|(i, _)| i + 1));
        v
    };
    match rng.below(9) {
        // Delete a line.
        0 | 1 => {
            let starts = line_starts(bytes);
            let k = rng.below(starts.len());
            let end = starts.get(k + 1).copied().unwrap_or(bytes.len());
            bytes.drain(starts[k]..end);
        }
        // Duplicate a line elsewhere.
        2 => {
            let starts = line_starts(bytes);
            let k = rng.below(starts.len());
            let end = starts.get(k + 1).copied().unwrap_or(bytes.len());
            let line = bytes[starts[k]..end].to_vec();
            let at = starts[rng.below(starts.len())];
            bytes.splice(at..at, line);
        }
        // Swap two lines.
        3 => {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let mut lines: Vec<&str> = text.split('\n').collect();
            let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
            lines.swap(a, b);
            *bytes = lines.join("\n").into_bytes();
        }
        // Flip bytes.
        4 => {
            if !bytes.is_empty() {
                for _ in 0..1 + rng.below(4) {
                    let k = rng.below(bytes.len());
                    bytes[k] = match rng.below(4) {
                        0 => rng.below(256) as u8,
                        1 => bytes[k] ^ (1 << rng.below(8)),
                        2 => b"0123456789.-e# \t\r\n"[rng.below(18)],
                        _ => b'\n',
                    };
                }
            }
        }
        // Replace a number token with a special value.
        5 | 6 => {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
            let k = rng.below(lines.len());
            let mut toks: Vec<String> = lines[k].split_whitespace().map(str::to_string).collect();
            if !toks.is_empty() {
                let t = rng.below(toks.len());
                toks[t] = rng
                    .pick(&[
                        "NaN", "inf", "-inf", "1e308", "-1e308", "1e20", "-1", "-5", "-0.5", "0", "3.5", "",
                        "99999999", "-99999", "1.", ".5", "1e-3", "x", "1 2",
                    ])
                    .to_string();
                lines[k] = toks.join(" ");
            }
            *bytes = lines.join("\n").into_bytes();
        }
        // Truncate.
        7 => {
            let k = rng.below(bytes.len() + 1);
            bytes.truncate(k);
        }
        // Change a parent to another id (may form cycles, self-parents, two trees).
        _ => {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
            let k = rng.below(lines.len());
            let mut toks: Vec<String> = lines[k].split_whitespace().map(str::to_string).collect();
            if toks.len() >= 7 {
                let target = rng.below(lines.len());
                let new_parent = lines[target].split_whitespace().next().unwrap_or("-1").to_string();
                toks[6] = new_parent;
                lines[k] = toks.join(" ");
            }
            *bytes = lines.join("\n").into_bytes();
        }
    }
}

#[test]
fn swc_mutated_real_files_never_panic() {
    let mut files: Vec<(String, Vec<u8>)> = DIRS
        .iter()
        .flat_map(|d| std::fs::read_dir(d).unwrap_or_else(|e| panic!("{d}: {e}")))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "swc"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "{} SWC files", files.len());
    let mut rng = Rng(0x5eed_0f15_c0de_0001);
    let mut outcomes = [0usize; 2];
    for case in 0..2500 {
        // Small files most of the time: the big ones cost more per case.
        let (name, original) = loop {
            let f = &files[rng.below(files.len())];
            if f.1.len() < 40_000 || rng.chance(8) {
                break f;
            }
        };
        let mut bytes = original.clone();
        for _ in 0..1 + rng.below(3) {
            mutate(&mut rng, &mut bytes);
        }
        let text = String::from_utf8_lossy(&bytes);
        let ok = check(&text, &format!("mutation {case} of {name}"));
        outcomes[ok as usize] += 1;
    }
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "errors/oks: {outcomes:?}");
}
