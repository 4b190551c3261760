//! SWC reader: text -> validated, ordered sample points.
//!
//! # Format read
//!
//! Plain text, one sample per line, whitespace-separated columns
//! `id type x y z radius parent` (docs/biophysics.md 9.1; NEURON's Import3d
//! reader is the reference):
//!
//! - `#` starts a comment, at the start of a line, after leading whitespace, or after
//!   the data of a line. Blank lines are skipped.
//! - `\r` counts as whitespace anywhere (CRLF files, stray `\r\r\n`); a file with no
//!   `\n` at all but with `\r` is read as old Mac text (lines end at `\r`). A leading
//!   UTF-8 byte order mark is skipped.
//! - Numbers are Rust `f64` literals as files write them (`1.`, `.5`, `1e-3`, `-2`).
//!   `id`, `type` and `parent` must be integral (`3.0` is accepted, `3.5` is not).
//!   NaN and infinite values are errors, and so are negative ids and negative radii.
//! - Physically absurd sizes are errors naming the line and the column: a coordinate
//!   beyond [`MAX_ABS_VALUE_UM`] (10 cm) in magnitude, a radius above [`MAX_RADIUS_UM`]
//!   (1 mm). Real cells span less than 1 cm and no neurite or soma is thicker than about
//!   1 mm; a file beyond these is in other units (nm) or broken, and read as um it
//!   would give figures that look like results (a soma of radius 1e9 um makes a flat
//!   trace, tau 0.025 ms and Rin -0.000).
//! - Columns beyond the seventh are ignored, with one warning for the whole file.
//! - A negative parent marks a root. Ids may start anywhere (0 or 1 are usual),
//!   need not be contiguous, and may come in any order; a parent may come after its
//!   child.
//! - Type codes are kept as written: 1 soma, 2 axon, 3 basal, 4 apical, anything else
//!   (0, >= 5, negative) custom.
//!
//! # Validation
//!
//! Errors (each names the file, the line and the ids involved): too few columns, a
//! non-number, a non-finite or out-of-range value, a non-integral id/type/parent, a
//! negative id or radius, a duplicate id, a point that is its own parent, a missing
//! parent, a parent cycle, two or more somas, no points at all, more than
//! [`MAX_POINTS`] points.
//!
//! A soma is a connected group of type-1 points (connected through parent links
//! between type-1 points). Two such groups anywhere in the file are an error. A file
//! without soma is accepted with a warning.
//!
//! When the file holds several trees (several roots), all are kept, as NEURON keeps
//! them: the tree that holds the soma (without soma, the tree of the first point by id)
//! is the main tree, and every other tree is a fragment whose root NEURON's Import3d
//! wires to the main tree's root section at 0.5 (see `import3d`). One warning counts
//! the fragments and names the lines of the first roots.
//!
//! Radii below [`MIN_RADIUS_UM`] (zeros, usually) are raised to it with one warning.
//!
//! No input makes the reader panic; the work is linear or `n log n` in the size of
//! the text and uses no recursion.

use super::MorphError;
use std::path::Path;

/// Smallest radius (um) a point may have; smaller radii (zeros) are raised to it with
/// a warning.
pub const MIN_RADIUS_UM: f64 = 0.01;

/// Most points a file may hold; larger files are rejected.
pub const MAX_POINTS: usize = 5_000_000;

/// Largest magnitude (um) a coordinate may have: 10 cm. Real cells span less than 1 cm
/// (the longest reconstructed axons, about 1 cm in a mouse brain); 10 cm also holds a
/// cell in the frame of any brain atlas, corner or centre at the origin (a human brain,
/// about 17 cm long, centred as MNI space is, is within about 9 cm). A file in nm of a
/// cell wider than 100 um is beyond it.
pub const MAX_ABS_VALUE_UM: f64 = 1.0e5;

/// Largest radius (um) a point may have: 1 mm. The thickest neurites and somata known
/// are about 1 mm across (the squid giant axon, the giant neurons of Aplysia); mammalian
/// somata are 5 to 50 um wide. A soma of radius 1e4 um would already make Rin print as
/// 0.001 MOhm.
pub const MAX_RADIUS_UM: f64 = 1.0e3;

/// Largest file [`read_swc`] reads (bytes); read through this limit, whatever size the
/// filesystem reports.
pub const MAX_FILE_BYTES: u64 = crate::sim::textfile::MAX_MORPHOLOGY_BYTES;

/// One SWC sample.
#[derive(Debug, Clone, PartialEq)]
pub struct SwcPoint {
    /// Id as written in the file (0 or more).
    pub id: i64,
    /// SWC type code: 1 soma, 2 axon, 3 basal dendrite, 4 apical dendrite, other custom.
    pub kind: i32,
    /// Position (um), finite, each coordinate at most [`MAX_ABS_VALUE_UM`] in magnitude.
    pub pos: [f64; 3],
    /// Radius (um), at least [`MIN_RADIUS_UM`] and at most [`MAX_RADIUS_UM`].
    pub radius: f64,
    /// Parent id as written in the file (negative for the root).
    pub parent_id: i64,
    /// 1-based line number in the file.
    pub line: usize,
}

/// A validated SWC tree.
///
/// Guarantees of a value returned by [`parse_swc`] / [`read_swc`]:
///
/// - `points` is not empty and holds every point of the file. Ids are unique.
/// - `parent.len() == points.len()`; `parent[0]` is `None` (index 0 is the root of
///   the main tree: the one with the soma, or without soma the tree of the first point
///   by id). For `i > 0`, `parent[i]` is `None` for the root of a fragment (another
///   tree, wired to the main root section by `import3d`, as NEURON does), else
///   `Some(j)` with `j < i` and `points[j].id == points[i].parent_id`.
/// - When sorting the points by id puts every parent before its children and the main
///   root first, the order is exactly the id-sorted order (as NEURON does). Otherwise
///   it is the depth-first preorder from the main root, then from each fragment root in
///   id order, children visited in increasing id order, and `warnings` says so.
/// - At most one soma (a connected group of type-1 points).
/// - All values finite; radii at least [`MIN_RADIUS_UM`].
#[derive(Debug, Clone)]
pub struct SwcData {
    /// File name as given by the caller (used in messages).
    pub file: String,
    /// The points, parents before children.
    pub points: Vec<SwcPoint>,
    /// Index in `points` of each point's parent (`None` for the root, index 0, and for
    /// the roots of fragments).
    pub parent: Vec<Option<usize>>,
    /// What was repaired or dropped, one line each, without the file name.
    pub warnings: Vec<String>,
}

const COLUMNS: [&str; 7] = ["id", "type", "x", "y", "z", "radius", "parent"];
/// Integers above this magnitude are not exact in an `f64`.
const MAX_EXACT_INT: f64 = 9_007_199_254_740_992.0;
const NONE: usize = usize::MAX;

/// Parses SWC text. `file` names the source in messages (a path or a label).
pub fn parse_swc(text: &str, file: &str) -> Result<SwcData, MorphError> {
    parse_swc_limited(text, file, MAX_POINTS)
}

/// Reads and parses an SWC file. Bytes that are not UTF-8 are replaced by U+FFFD
/// (harmless in comments; in a data line they make that line an error). `path` as
/// displayed names the file in messages, also when it cannot be read.
pub fn read_swc(path: &Path) -> Result<SwcData, MorphError> {
    let name = path.display().to_string();
    // Through a byte limit: /dev/zero or a FIFO report 0 bytes and never end.
    let bytes = crate::sim::textfile::read_bytes_limited(path, MAX_FILE_BYTES)
        .map_err(|e| MorphError::new(&name, None, e.to_string()))?;
    let text = String::from_utf8_lossy(&bytes);
    parse_swc(&text, &name)
}

/// A token as shown in messages: quoted, at most 32 characters, control characters
/// escaped.
fn quote(tok: &str) -> String {
    let mut s = String::from("'");
    for (i, c) in tok.chars().enumerate() {
        if i == 32 {
            s.push_str("...");
            break;
        }
        if c.is_control() {
            s.extend(c.escape_default());
        } else {
            s.push(c);
        }
    }
    s.push('\'');
    s
}

/// What is wrong with one line of samples (said with the file and line by the caller).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
enum LineError {
    #[error("expected 7 columns (id type x y z radius parent), found {0}")]
    Columns(usize),
    #[error("{} is not a number (column {})", quote(.tok), COLUMNS[*.col])]
    NotANumber { tok: String, col: usize },
    #[error("{} is not a finite number (column {})", quote(.tok), COLUMNS[*.col])]
    NotFinite { tok: String, col: usize },
    #[error("{} is not an integer (column {})", quote(.tok), COLUMNS[*.col])]
    NotAnInteger { tok: String, col: usize },
    #[error("{} is out of range (column {})", quote(.tok), COLUMNS[*.col])]
    OutOfRange { tok: String, col: usize },
    #[error(
        "{} is out of range (column {}; {} must be at most {:e} um in magnitude; is the file in um?)",
        quote(.tok), COLUMNS[*.col], if *.col == 5 { "radii" } else { "coordinates" }, .max
    )]
    TooLarge { tok: String, col: usize, max: f64 },
    #[error("point id {0} is negative (ids must be 0 or more)")]
    NegativeId(i64),
    #[error("point {id} has a negative radius {}", quote(.tok))]
    NegativeRadius { id: i64, tok: String },
}

/// Parses one column as a finite number.
fn number(tok: &str, col: usize) -> Result<f64, LineError> {
    let v: f64 = tok.parse().map_err(|_| LineError::NotANumber { tok: tok.to_string(), col })?;
    if !v.is_finite() {
        return Err(LineError::NotFinite { tok: tok.to_string(), col });
    }
    Ok(v)
}

/// Parses one column as a number of at most `max` um in magnitude (the coordinates'
/// [`MAX_ABS_VALUE_UM`], the radius' [`MAX_RADIUS_UM`]).
fn length(tok: &str, col: usize, max: f64) -> Result<f64, LineError> {
    let v = number(tok, col)?;
    if v.abs() > max {
        return Err(LineError::TooLarge { tok: tok.to_string(), col, max });
    }
    Ok(v)
}

/// Parses one column as an integral value (`3` or `3.0`, not `3.5`).
fn integer(tok: &str, col: usize) -> Result<i64, LineError> {
    if let Ok(v) = tok.parse::<i64>() {
        return Ok(v);
    }
    let v = number(tok, col)?;
    if v.fract() != 0.0 {
        return Err(LineError::NotAnInteger { tok: tok.to_string(), col });
    }
    if v.abs() > MAX_EXACT_INT {
        return Err(LineError::OutOfRange { tok: tok.to_string(), col });
    }
    Ok(v as i64)
}

/// Parses the data part of one line (comment removed, not blank). Returns the point
/// and whether the line had more than 7 columns.
fn parse_line(data: &str, line: usize) -> Result<(SwcPoint, bool), LineError> {
    let mut toks = data.split_whitespace();
    let mut cols = [""; 7];
    let mut found = 0;
    while found < 7 {
        match toks.next() {
            Some(t) => {
                cols[found] = t;
                found += 1;
            }
            None => break,
        }
    }
    if found < 7 {
        return Err(LineError::Columns(found));
    }
    let extra = toks.next().is_some();
    let id = integer(cols[0], 0)?;
    let kind = integer(cols[1], 1)?;
    let kind = i32::try_from(kind).map_err(|_| LineError::OutOfRange { tok: cols[1].to_string(), col: 1 })?;
    let x = length(cols[2], 2, MAX_ABS_VALUE_UM)?;
    let y = length(cols[3], 3, MAX_ABS_VALUE_UM)?;
    let z = length(cols[4], 4, MAX_ABS_VALUE_UM)?;
    let radius = length(cols[5], 5, MAX_RADIUS_UM)?;
    let parent_id = integer(cols[6], 6)?;
    if id < 0 {
        return Err(LineError::NegativeId(id));
    }
    if radius < 0.0 {
        return Err(LineError::NegativeRadius { id, tok: cols[5].to_string() });
    }
    let point = SwcPoint { id, kind, pos: [x, y, z], radius, parent_id, line };
    Ok((point, extra))
}

/// `s` or nothing, for counts in messages.
fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// [`parse_swc`] with a configurable point limit (tests use a small one).
/// Error of the file being parsed, at a line (or of the whole file).
type ErrAt<'a> = &'a dyn Fn(Option<usize>, String) -> MorphError;

fn parse_swc_limited(text: &str, file: &str, max_points: usize) -> Result<SwcData, MorphError> {
    let err = |line: Option<usize>, msg: String| MorphError::new(file, line, msg);
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut warnings = Vec::new();
    let pts = read_points(text, max_points, &err, &mut warnings)?;
    let (by_id, par) = parent_indices(&pts, &err)?;
    check_cycles(&pts, &par, &err)?;
    let children = Children::new(&par, &by_id);
    let main_root = main_root(&pts, &par, &by_id, &children, &err, &mut warnings)?;
    let order = point_order(&pts, &par, by_id, main_root, &children, &mut warnings);
    Ok(output(file, &pts, &par, &order, warnings))
}

/// Step 1: lines to points, in file order (at most `max_points`; comments and blank
/// lines skipped; extra columns ignored with a warning).
fn read_points(
    text: &str,
    max_points: usize,
    err: ErrAt,
    warnings: &mut Vec<String>,
) -> Result<Vec<SwcPoint>, MorphError> {
    let sep = if !text.contains('\n') && text.contains('\r') { '\r' } else { '\n' };
    let mut pts: Vec<SwcPoint> = Vec::new();
    let mut extra_lines = 0usize;
    let mut first_extra = 0usize;
    for (i, raw) in text.split(sep).enumerate() {
        let line = i + 1;
        let data = match raw.find('#') {
            Some(k) => &raw[..k],
            None => raw,
        };
        if data.trim().is_empty() {
            continue;
        }
        if pts.len() >= max_points {
            return Err(err(Some(line), format!("more than {max_points} points: the file is too large")));
        }
        let (p, extra) = parse_line(data, line).map_err(|m| {
            // A first line that is hardly numbers at all is not a sample with a typo but
            // another kind of file (a key file, a document): said without quoting it, so
            // that a secret never reaches a message (and a projector).
            // (A line of too few columns is said as such: nothing of it is quoted.)
            let toks = data.split_whitespace().take(7);
            let (count, numbers) =
                toks.fold((0, 0), |(c, n), t| (c + 1, n + usize::from(t.parse::<f64>().is_ok())));
            if pts.is_empty() && count == 7 && numbers < 4 {
                err(
                    Some(line),
                    "this is not an SWC morphology: the first data line is not a sample \
                     (id type x y z radius parent, seven numbers)"
                        .into(),
                )
            } else {
                err(Some(line), m.to_string())
            }
        })?;
        if extra {
            if extra_lines == 0 {
                first_extra = line;
            }
            extra_lines += 1;
        }
        pts.push(p);
    }
    let n = pts.len();
    if n == 0 {
        return Err(err(None, "no points: the file holds no SWC samples".into()));
    }
    if extra_lines > 0 {
        warnings.push(format!(
            "{extra_lines} line{} had more than 7 columns (first at line {first_extra}); \
             the extra columns were ignored",
            plural(extra_lines)
        ));
    }

    Ok(pts)
}

/// Step 2: ids to indices, refusing duplicate ids, self-parents and missing parents.
/// Returns the indices in id order and each point's parent index (`NONE` for a root).
fn parent_indices(pts: &[SwcPoint], err: ErrAt) -> Result<(Vec<usize>, Vec<usize>), MorphError> {
    let n = pts.len();
    // Stable sort: equal ids stay in file order.
    let mut by_id: Vec<usize> = (0..n).collect();
    by_id.sort_by_key(|&k| pts[k].id);
    // The duplicate met first when reading the file: the smallest second occurrence.
    let duplicate = by_id.windows(2).filter(|w| pts[w[0]].id == pts[w[1]].id).min_by_key(|w| pts[w[1]].line);
    if let Some(w) = duplicate {
        let (a, b) = (&pts[w[0]], &pts[w[1]]);
        return Err(err(
            Some(b.line),
            format!("duplicate id {}: defined at lines {} and {}", b.id, a.line, b.line),
        ));
    }
    // Id -> index: a table when the ids are dense (the usual 1..N), else a binary
    // search. Ids are 0 or more, so the span cannot overflow.
    let min_id = pts[by_id[0]].id;
    let span = pts[by_id[n - 1]].id - min_id;
    let table: Option<Vec<usize>> = (span < 4 * n as i64 + 64).then(|| {
        let mut t = vec![NONE; span as usize + 1];
        for (k, p) in pts.iter().enumerate() {
            t[(p.id - min_id) as usize] = k;
        }
        t
    });
    let index_of = |id: i64| -> Option<usize> {
        match &table {
            Some(t) => {
                let k = *t.get(usize::try_from(id.checked_sub(min_id)?).ok()?)?;
                (k != NONE).then_some(k)
            }
            None => by_id.binary_search_by_key(&id, |&k| pts[k].id).ok().map(|i| by_id[i]),
        }
    };
    let mut par: Vec<usize> = Vec::with_capacity(n);
    for p in pts {
        if p.parent_id < 0 {
            par.push(NONE);
        } else if p.parent_id == p.id {
            return Err(err(Some(p.line), format!("point {} is its own parent", p.id)));
        } else {
            match index_of(p.parent_id) {
                Some(j) => par.push(j),
                None => {
                    return Err(err(
                        Some(p.line),
                        format!("parent {} of point {} does not exist", p.parent_id, p.id),
                    ));
                }
            }
        }
    }
    drop(table);

    Ok((by_id, par))
}

/// Step 3: every parent chain must reach a root (an iterative walk with a memo).
fn check_cycles(pts: &[SwcPoint], par: &[usize], err: ErrAt) -> Result<(), MorphError> {
    let n = pts.len();
    {
        // 0 unseen, 1 on the current walk, 2 reaches a root.
        let mut state = vec![0u8; n];
        let mut walk = Vec::new();
        for s in 0..n {
            let mut v = s;
            let cycle_at = loop {
                match state[v] {
                    2 => break None,
                    1 => break Some(v),
                    _ => {
                        state[v] = 1;
                        walk.push(v);
                        if par[v] == NONE {
                            break None;
                        }
                        v = par[v];
                    }
                }
            };
            if let Some(c) = cycle_at {
                return Err(cycle_error(pts, par, c, err));
            }
            for &u in &walk {
                state[u] = 2;
            }
            walk.clear();
        }
    }

    Ok(())
}

/// Step 4: each point's children, in increasing id order (compressed lists).
struct Children {
    start: Vec<usize>,
    kids: Vec<usize>,
}

impl Children {
    fn new(par: &[usize], by_id: &[usize]) -> Children {
        let n = par.len();
        let mut start = vec![0usize; n + 1];
        for &p in par {
            if p != NONE {
                start[p + 1] += 1;
            }
        }
        for k in 0..n {
            start[k + 1] += start[k];
        }
        let mut kids = vec![0usize; start[n]];
        {
            let mut fill = start.clone();
            for &k in by_id {
                let p = par[k];
                if p != NONE {
                    kids[fill[p]] = k;
                    fill[p] += 1;
                }
            }
        }

        Children { start, kids }
    }

    fn of(&self, p: usize) -> &[usize] {
        &self.kids[self.start[p]..self.start[p + 1]]
    }
}

/// Steps 5 to 7: the trees (which root each point hangs from), the soma (two separate
/// somas are refused) and the main tree, the soma's; the others are fragments, kept and
/// wired to it as NEURON does (said in a warning). Returns the main tree's root.
fn main_root(
    pts: &[SwcPoint],
    par: &[usize],
    by_id: &[usize],
    children: &Children,
    err: ErrAt,
    warnings: &mut Vec<String>,
) -> Result<usize, MorphError> {
    let n = pts.len();
    // 5. Trees: which root each point hangs from, and tree sizes.
    let roots: Vec<usize> = (0..n).filter(|&k| par[k] == NONE).collect();
    let mut tree_of = vec![0usize; n];
    let mut tree_size = vec![0usize; roots.len()];
    {
        let mut stack = Vec::new();
        for (t, &r) in roots.iter().enumerate() {
            stack.push(r);
            while let Some(v) = stack.pop() {
                tree_of[v] = t;
                tree_size[t] += 1;
                stack.extend_from_slice(children.of(v));
            }
        }
    }

    // 6. Somas: a group's top is a type-1 point whose parent is absent or not type 1.
    let soma_tops: Vec<usize> =
        (0..n).filter(|&k| pts[k].kind == 1 && (par[k] == NONE || pts[par[k]].kind != 1)).collect();
    if soma_tops.len() >= 2 {
        let (a, b) = (pts[soma_tops[0]].line, pts[soma_tops[1]].line);
        let mut msg = format!("two somas: the soma points at lines {a} and {b} are not connected");
        if soma_tops.len() > 2 {
            msg.push_str(&format!(" ({} separate soma groups in all)", soma_tops.len()));
        }
        return Err(err(Some(b), msg));
    }

    // 7. The main tree; the others are fragments, kept and wired to it as NEURON does.
    let main_tree = match soma_tops.first() {
        Some(&s) => tree_of[s],
        None => {
            warnings.push("the file has no soma (no type-1 points)".to_string());
            by_id.first().map_or(0, |&k| tree_of[k])
        }
    };
    if roots.len() > 1 {
        let fragments: Vec<usize> =
            by_id.iter().copied().filter(|&k| par[k] == NONE && tree_of[k] != main_tree).collect();
        let points_in = n - tree_size[main_tree];
        let lines: Vec<String> = fragments.iter().take(5).map(|&k| pts[k].line.to_string()).collect();
        let more = if fragments.len() > 5 { ", ..." } else { "" };
        let main_root = &pts[roots[main_tree]];
        warnings.push(format!(
            "{} fragment{} ({points_in} point{}) not connected to the {} (root {} at line {}); \
             wired to its root section at 0.5 as NEURON does; fragment roots at line{} {}{more}",
            fragments.len(),
            plural(fragments.len()),
            plural(points_in),
            if soma_tops.is_empty() { "main tree" } else { "soma's tree" },
            main_root.id,
            main_root.line,
            plural(fragments.len()),
            lines.join(", "),
        ));
    }

    Ok(roots[main_tree])
}

/// Step 8: the order of the points: by id when that puts parents first and the main
/// root first, else depth-first preorder from the main root, then from each fragment
/// root by id (said in a warning).
fn point_order(
    pts: &[SwcPoint],
    par: &[usize],
    by_id: Vec<usize>,
    main_root: usize,
    children: &Children,
    warnings: &mut Vec<String>,
) -> Vec<usize> {
    let n = pts.len();
    let late_parent = by_id
        .iter()
        .copied()
        .filter(|&k| par[k] != NONE && pts[par[k]].id > pts[k].id)
        .min_by_key(|&k| pts[k].line);
    match late_parent {
        None if by_id.first() == Some(&main_root) => by_id,
        _ => {
            match late_parent {
                Some(k) => warnings.push(format!(
                    "parents come after their children (point {} at line {} has parent {}); \
                     the points were reordered depth-first from the root",
                    pts[k].id, pts[k].line, pts[k].parent_id
                )),
                None => warnings.push(format!(
                    "the soma's tree does not start the file (its root {} is at line {}); \
                     the points were reordered depth-first from it, then each fragment",
                    pts[main_root].id, pts[main_root].line
                )),
            }
            let mut order = Vec::with_capacity(n);
            let starts = std::iter::once(main_root)
                .chain(by_id.iter().copied().filter(|&k| par[k] == NONE && k != main_root));
            for r in starts {
                let mut stack = vec![r];
                while let Some(v) = stack.pop() {
                    order.push(v);
                    stack.extend(children.of(v).iter().rev());
                }
            }
            order
        }
    }
}

/// Step 9: the points in their order with their parents' new indices, radii below the
/// least raised to it (said in a warning).
fn output(
    file: &str,
    pts: &[SwcPoint],
    par: &[usize],
    order: &[usize],
    mut warnings: Vec<String>,
) -> SwcData {
    let n = pts.len();
    let mut new_index = vec![NONE; n];
    for (i, &k) in order.iter().enumerate() {
        new_index[k] = i;
    }
    let parent: Vec<Option<usize>> =
        order.iter().map(|&k| if par[k] == NONE { None } else { Some(new_index[par[k]]) }).collect();
    let mut points: Vec<SwcPoint> = order.iter().map(|&k| pts[k].clone()).collect();
    let mut raised = 0usize;
    for p in &mut points {
        if p.radius < MIN_RADIUS_UM {
            p.radius = MIN_RADIUS_UM;
            raised += 1;
        }
    }
    if raised > 0 {
        warnings.push(format!(
            "{raised} point{} had a radius below {MIN_RADIUS_UM} um (zero, mostly); \
             raised to {MIN_RADIUS_UM} um",
            plural(raised)
        ));
    }
    SwcData { file: file.to_string(), points, parent, warnings }
}

/// The error for a parent cycle through point index `c`: reported at the line of the
/// cycle's first point in the file, listing the cycle's ids (at most 8).
fn cycle_error(
    pts: &[SwcPoint],
    par: &[usize],
    c: usize,
    err: &dyn Fn(Option<usize>, String) -> MorphError,
) -> MorphError {
    // Members of the cycle, and the one that comes first in the file.
    let mut first = c;
    let mut len = 1usize;
    let mut v = par[c];
    while v != c {
        if pts[v].line < pts[first].line {
            first = v;
        }
        len += 1;
        v = par[v];
    }
    let mut ids = vec![pts[first].id.to_string()];
    let mut v = par[first];
    for _ in 0..len.min(8) {
        ids.push(pts[v].id.to_string());
        v = par[v];
    }
    if len > 8 {
        ids.push("...".to_string());
    }
    err(
        Some(pts[first].line),
        format!(
            "point {} is in a parent cycle ({}) of {len} points that never reaches a root",
            pts[first].id,
            ids.join(" -> ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> SwcData {
        match parse_swc(text, "t.swc") {
            Ok(d) => {
                check_invariants(&d);
                d
            }
            Err(e) => panic!("unexpected error: {e}"),
        }
    }

    fn fail(text: &str) -> String {
        match parse_swc(text, "t.swc") {
            Ok(d) => panic!("expected an error, got {} points", d.points.len()),
            Err(e) => e.to_string(),
        }
    }

    fn ids(d: &SwcData) -> Vec<i64> {
        d.points.iter().map(|p| p.id).collect()
    }

    fn check_invariants(d: &SwcData) {
        assert!(!d.points.is_empty());
        assert_eq!(d.points.len(), d.parent.len());
        assert_eq!(d.parent[0], None);
        for i in 1..d.points.len() {
            match d.parent[i] {
                Some(j) => {
                    assert!(j < i);
                    assert_eq!(d.points[j].id, d.points[i].parent_id);
                }
                None => assert!(d.points[i].parent_id < 0, "only roots lack a parent"),
            }
        }
        for p in &d.points {
            assert!(p.radius >= MIN_RADIUS_UM && p.radius.is_finite());
            assert!(p.pos.iter().all(|v| v.is_finite()));
        }
    }

    const THREE_POINT: &str = "1 1 0 0 0 5 -1\n2 1 0 -5 0 5 1\n3 1 0 5 0 5 1\n4 3 0 6 0 1 3\n";

    #[test]
    fn simple_tree() {
        let d = ok(THREE_POINT);
        assert_eq!(ids(&d), [1, 2, 3, 4]);
        assert_eq!(d.parent, [None, Some(0), Some(0), Some(2)]);
        assert_eq!(d.points[3].kind, 3);
        assert_eq!(d.points[3].pos, [0.0, 6.0, 0.0]);
        assert_eq!(d.points[3].line, 4);
        assert_eq!(d.file, "t.swc");
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    }

    #[test]
    fn crlf_tabs_comments_blank_lines() {
        let text = "# header\r\n   # indented comment\r\n\t# tab comment\r\r\n# text\r\r\n\r\n\r\n\
                    \n  \t \n1\t1\t0\t0\t0\t5\t-1\r\n 2  3 1 0 0 1 1 \r\r\n\r3 3 2 0 0 1 2 # trailing\r\n";
        let d = ok(text);
        assert_eq!(ids(&d), [1, 2, 3]);
        assert_eq!(d.points[0].line, 9);
        assert_eq!(d.points[2].line, 11);
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    }

    #[test]
    fn old_mac_line_ends_and_bom() {
        let d = ok("\u{feff}# c\r1 1 0 0 0 5 -1\r2 3 1 0 0 1 1\r");
        assert_eq!(ids(&d), [1, 2]);
        assert_eq!(d.points[1].line, 3);
        let d = ok("\u{feff}1 1 0 0 0 5 -1\n2 3 1 0 0 1 1\n");
        assert_eq!(ids(&d), [1, 2]);
    }

    #[test]
    fn number_forms() {
        let d = ok("1.0 1 1. .5 1e-3 5 -1.0\n2 3.0 -.5 +2 1E2 0.25 1\n");
        assert_eq!(d.points[0].pos, [1.0, 0.5, 0.001]);
        assert_eq!(d.points[1].pos, [-0.5, 2.0, 100.0]);
        assert_eq!(d.points[1].kind, 3);
        assert_eq!(d.points[0].parent_id, -1);
    }

    #[test]
    fn first_id_zero_and_gaps() {
        let d = ok("0 1 0 0 0 5 -1\n7 3 1 0 0 1 0\n100 3 2 0 0 1 7\n");
        assert_eq!(ids(&d), [0, 7, 100]);
        assert_eq!(d.parent, [None, Some(0), Some(1)]);
    }

    #[test]
    fn any_root_parent_below_zero() {
        let d = ok("1 1 0 0 0 5 -5\n2 3 1 0 0 1 1\n");
        assert_eq!(d.points[0].parent_id, -5);
    }

    #[test]
    fn unsorted_ids_with_parents_first_by_id_use_id_order() {
        // File order 3, 1, 4, 2 but every parent id is below its child's.
        let d = ok("3 3 2 0 0 1 2\n1 1 0 0 0 5 -1\n4 3 3 0 0 1 1\n2 3 1 0 0 1 1\n");
        assert_eq!(ids(&d), [1, 2, 3, 4]);
        assert_eq!(d.parent, [None, Some(0), Some(1), Some(0)]);
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    }

    #[test]
    fn parents_after_children_reorder_depth_first() {
        // 5 is the parent of 2 and 3; 9 hangs from 3; 4 from the root.
        let text = "1 1 0 0 0 5 -1\n2 3 1 0 0 1 5\n3 3 2 0 0 1 5\n4 3 3 0 0 1 1\n\
                    5 3 4 0 0 1 1\n9 3 5 0 0 1 3\n";
        let d = ok(text);
        assert_eq!(ids(&d), [1, 4, 5, 2, 3, 9]);
        assert_eq!(d.parent, [None, Some(0), Some(0), Some(2), Some(2), Some(4)]);
        assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
        assert!(d.warnings[0].contains("parents come after their children"));
        assert!(d.warnings[0].contains("point 2 at line 2 has parent 5"));
    }

    #[test]
    fn root_not_smallest_id() {
        let d = ok("5 1 0 0 0 5 -1\n1 3 1 0 0 1 5\n2 3 2 0 0 1 1\n");
        assert_eq!(ids(&d), [5, 1, 2]);
        assert_eq!(d.warnings.len(), 1);
    }

    #[test]
    fn disconnected_trees_are_kept_as_fragments() {
        // The soma's tree starts at line 4; the fragments at lines 1 and 6 come first
        // and last by id, so the points are reordered: soma tree, then fragments by id.
        let text = "1 3 0 0 0 1 -1\n2 3 1 0 0 1 1\n3 3 2 0 0 1 2\n\
                    10 1 0 0 0 5 -1\n11 3 1 0 0 1 10\n20 2 0 0 0 1 -1\n";
        let d = ok(text);
        assert_eq!(ids(&d), [10, 11, 1, 2, 3, 20]);
        assert_eq!(d.parent, [None, Some(0), None, Some(2), Some(3), None]);
        assert_eq!(d.warnings.len(), 2, "{:?}", d.warnings);
        let w = &d.warnings[0];
        assert!(w.starts_with("2 fragments (4 points) not connected to the soma's tree"), "{w}");
        assert!(w.contains("root 10 at line 4"), "{w}");
        assert!(w.contains("fragment roots at lines 1, 6"), "{w}");
        assert!(d.warnings[1].contains("reordered"), "{:?}", d.warnings);
        // Soma first by id: the file order stands, one warning.
        let text = "1 1 0 0 0 5 -1\n2 3 1 0 0 1 1\n3 3 9 0 0 1 -1\n4 3 9 1 0 1 3\n";
        let d = ok(text);
        assert_eq!(ids(&d), [1, 2, 3, 4]);
        assert_eq!(d.parent, [None, Some(0), None, Some(2)]);
        assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
        assert!(d.warnings[0].contains("1 fragment (2 points)"), "{:?}", d.warnings);
    }

    #[test]
    fn no_soma_main_tree_is_the_first_by_id() {
        let text = "1 3 0 0 0 1 -1\n2 3 1 0 0 1 1\n10 3 0 0 0 1 -1\n11 3 1 0 0 1 10\n\
                    12 3 1 0 0 1 11\n";
        let d = ok(text);
        assert_eq!(ids(&d), [1, 2, 10, 11, 12]);
        assert_eq!(d.parent, [None, Some(0), None, Some(2), Some(3)]);
        assert_eq!(d.warnings.len(), 2, "{:?}", d.warnings);
        assert!(d.warnings[0].contains("no soma"));
        assert!(d.warnings[1].contains("1 fragment (3 points) not connected to the main tree"));
        // A single tree without soma: only the soma warning.
        let d = ok("1 3 0 0 0 1 -1\n2 3 1 0 0 1 1\n");
        assert_eq!(d.warnings.len(), 1);
        assert!(d.warnings[0].contains("no soma"));
    }

    #[test]
    fn connected_soma_points_are_one_soma() {
        // Stacked soma with neurites on several soma points, ids in odd order.
        let d = ok("3 1 0 2 0 4 2\n1 1 0 0 0 4 -1\n2 1 0 1 0 4 1\n4 3 0 3 0 1 3\n5 2 0 -1 0 1 1\n");
        assert_eq!(ids(&d), [1, 2, 3, 4, 5]);
        assert!(d.warnings.is_empty());
    }

    #[test]
    fn two_somas() {
        let e = fail("1 1 0 0 0 5 -1\n2 3 1 0 0 1 1\n# c\n3 1 0 0 0 5 -1\n");
        assert_eq!(e, "t.swc:4: two somas: the soma points at lines 1 and 4 are not connected");
        // Soma points separated by a dendrite point in the same tree.
        let e = fail("1 1 0 0 0 5 -1\n2 3 1 0 0 1 1\n3 1 2 0 0 5 2\n");
        assert_eq!(e, "t.swc:3: two somas: the soma points at lines 1 and 3 are not connected");
        let e = fail("1 1 0 0 0 5 -1\n2 1 0 0 0 5 -1\n3 1 0 0 0 5 -1\n");
        assert!(e.contains("(3 separate soma groups in all)"), "{e}");
    }

    #[test]
    fn duplicate_id() {
        let e = fail("1 1 0 0 0 5 -1\n2 3 1 0 0 1 1\n\n2 3 2 0 0 1 1\n");
        assert_eq!(e, "t.swc:4: duplicate id 2: defined at lines 2 and 4");
    }

    #[test]
    fn self_parent() {
        let e = fail("1 1 0 0 0 5 -1\n2 3 1 0 0 1 2\n");
        assert_eq!(e, "t.swc:2: point 2 is its own parent");
    }

    #[test]
    fn missing_parent() {
        let mut text = String::from("1 1 0 0 0 5 -1\n");
        for i in 2..=11 {
            text.push_str(&format!("{i} 3 {i} 0 0 1 {}\n", i - 1));
        }
        text.push_str("13 3 0 0 0 1 44\n");
        let e = fail(&text);
        assert_eq!(e, "t.swc:12: parent 44 of point 13 does not exist");
    }

    #[test]
    fn cycle() {
        let e = fail("1 1 0 0 0 5 -1\n2 3 1 0 0 1 1\n5 3 0 0 0 1 7\n6 3 0 0 0 1 5\n7 3 0 0 0 1 6\n");
        assert_eq!(
            e,
            "t.swc:3: point 5 is in a parent cycle (5 -> 7 -> 6 -> 5) of 3 points that never \
             reaches a root"
        );
        // A cycle with a branch hanging from it, and no root at all.
        let e = fail("1 3 0 0 0 1 2\n2 3 0 0 0 1 1\n3 3 0 0 0 1 2\n");
        assert!(e.starts_with("t.swc:1: point 1 is in a parent cycle"), "{e}");
    }

    #[test]
    fn no_points() {
        for text in ["", "\n\n", "# only\n# comments\r\n", "   \t\r\n\r"] {
            let e = parse_swc(text, "t.swc").unwrap_err();
            assert_eq!(e.line, None);
            assert_eq!(e.to_string(), "t.swc: no points: the file holds no SWC samples");
        }
    }

    #[test]
    fn too_few_columns_and_non_numbers() {
        assert_eq!(
            fail("1 1 0 0 0 5 -1\n2 x\n"),
            "t.swc:2: expected 7 columns (id type x y z radius parent), found 2"
        );
        assert_eq!(fail("1 1 0 0 0 5 -1\n2 x 0 0 0 1 1\n"), "t.swc:2: 'x' is not a number (column type)");
        // Another kind of file: its content is never quoted.
        let e = fail("# settings\nDB_PASSWORD=hunter2 user admin host db port 5432\n");
        assert_eq!(
            e,
            "t.swc:2: this is not an SWC morphology: the first data line is not a sample \
             (id type x y z radius parent, seven numbers)"
        );
        assert!(!e.contains("hunter2") && !e.contains("DB_"), "{e}");
        assert_eq!(fail("1 1 0 0 0 5,0 -1\n"), "t.swc:1: '5,0' is not a number (column radius)");
        assert_eq!(
            fail("1 1 0 0 0 5 -1 # 2 x\n2 1 0 0 0 5 0x1\n"),
            "t.swc:2: '0x1' is not a number (column parent)"
        );
        let long = "y".repeat(100);
        let e = fail(&format!("1 1 {long} 0 0 5 -1\n"));
        assert!(e.contains(&format!("'{}...'", "y".repeat(32))), "{e}");
        let e = fail("1 1 \u{1} 0 0 5 -1\n");
        assert_eq!(e, "t.swc:1: '\\u{1}' is not a number (column x)");
    }

    #[test]
    fn non_finite_and_out_of_range() {
        assert_eq!(fail("1 1 0 NaN 0 5 -1\n"), "t.swc:1: 'NaN' is not a finite number (column y)");
        assert_eq!(fail("1 1 0 0 inf 5 -1\n"), "t.swc:1: 'inf' is not a finite number (column z)");
        assert_eq!(
            fail("1 1 -infinity 0 0 5 -1\n"),
            "t.swc:1: '-infinity' is not a finite number (column x)"
        );
        assert_eq!(fail("1 1 0 0 0 nan -1\n"), "t.swc:1: 'nan' is not a finite number (column radius)");
        assert_eq!(fail("nan 1 0 0 0 5 -1\n"), "t.swc:1: 'nan' is not a finite number (column id)");
        assert_eq!(fail("1 1 0 0 0 1e400 -1\n"), "t.swc:1: '1e400' is not a finite number (column radius)");
        let e = fail("1 1 1e300 0 0 5 -1\n");
        assert!(e.starts_with("t.swc:1: '1e300' is out of range (column x"), "{e}");
        assert!(fail("1 1e10 0 0 0 5 -1\n").contains("out of range (column type)"));
        assert!(fail("1e300 1 0 0 0 5 -1\n").contains("out of range (column id)"));
    }

    #[test]
    fn physically_absurd_sizes_name_line_and_column() {
        // Within the bounds: a cell 10 cm from the origin, a soma of radius 1 mm.
        ok("1 1 1e5 -1e5 0 1e3 -1\n2 3 1e5 -99990 0 1 1\n");
        let e = fail("1 1 0 0 0 5 -1\n2 3 0 100000.5 0 1 1\n");
        assert!(e.starts_with("t.swc:2: '100000.5' is out of range (column y; coordinates"), "{e}");
        let e = fail("1 1 0 0 0 5 -1\n2 3 0 0 -2e5 1 1\n");
        assert!(e.starts_with("t.swc:2: '-2e5' is out of range (column z;"), "{e}");
        let e = fail("# soma\n1 1 0 0 0 1e9 -1\n");
        assert!(
            e.starts_with("t.swc:2: '1e9' is out of range (column radius; radii must be at most 1e3 um"),
            "{e}"
        );
        assert!(fail("1 1 0 0 0 1000.01 -1\n").contains("(column radius;"));
    }

    #[test]
    fn negative_radius_and_id() {
        assert_eq!(
            fail("1 1 0 0 0 5 -1\n2 3 0 0 0 -0.5 1\n"),
            "t.swc:2: point 2 has a negative radius '-0.5'"
        );
        assert_eq!(fail("-3 1 0 0 0 5 -1\n"), "t.swc:1: point id -3 is negative (ids must be 0 or more)");
    }

    #[test]
    fn non_integral_columns() {
        assert_eq!(fail("3.5 1 0 0 0 5 -1\n"), "t.swc:1: '3.5' is not an integer (column id)");
        assert_eq!(fail("1 1.5 0 0 0 5 -1\n"), "t.swc:1: '1.5' is not an integer (column type)");
        assert_eq!(
            fail("1 1 0 0 0 5 -1\n2 3 0 0 0 1 1.25\n"),
            "t.swc:2: '1.25' is not an integer (column parent)"
        );
        let d = ok("3.0 1 0 0 0 5 -1.0\n4e0 3.00 0 0 0 5 3.\n");
        assert_eq!(ids(&d), [3, 4]);
        assert_eq!(d.points[1].kind, 3);
    }

    #[test]
    fn extra_columns_one_warning() {
        let d = ok("1 1 0 0 0 5 -1 7 8\n2 3 1 0 0 1 1 x\n3 3 2 0 0 1 2\n4 3 2 0 0 1 3 0.5\n");
        assert_eq!(ids(&d), [1, 2, 3, 4]);
        assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
        assert!(d.warnings[0].contains("3 lines had more than 7 columns (first at line 1)"));
    }

    #[test]
    fn small_radii_raised_one_warning() {
        let d = ok("1 1 0 0 0 0 -1\n2 3 1 0 0 0. 1\n3 3 2 0 0 0.0099 2\n4 3 3 0 0 0.01 3\n5 3 3 0 0 -0 3\n");
        assert!(d.points.iter().all(|p| p.radius == MIN_RADIUS_UM));
        assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
        assert!(d.warnings[0].starts_with("4 points had a radius below 0.01 um"), "{}", d.warnings[0]);
        assert!(d.warnings[0].contains("raised to 0.01 um"));
    }

    #[test]
    fn custom_types_kept() {
        let d = ok("1 1 0 0 0 5 -1\n2 0 1 0 0 1 1\n3 7 2 0 0 1 2\n4 -3 3 0 0 1 3\n5 19 3 0 0 1 1\n");
        let kinds: Vec<i32> = d.points.iter().map(|p| p.kind).collect();
        assert_eq!(kinds, [1, 0, 7, -3, 19]);
        assert!(d.warnings.is_empty());
    }

    #[test]
    fn point_limit() {
        let text = "1 1 0 0 0 5 -1\n2 3 1 0 0 1 1\n\n3 3 1 0 0 1 1\n";
        assert!(parse_swc_limited(text, "t.swc", 3).is_ok());
        let e = parse_swc_limited(text, "t.swc", 2).unwrap_err();
        assert_eq!(e.to_string(), "t.swc:4: more than 2 points: the file is too large");
    }

    #[test]
    fn long_chains_do_not_overflow_the_stack() {
        use std::fmt::Write;
        const N: usize = 1_000_000;
        // In order.
        let mut text = String::from("1 1 0 0 0 5 -1\n");
        for i in 2..=N {
            writeln!(text, "{i} 3 0 0 0 1 {}", i - 1).unwrap();
        }
        let d = ok(&text);
        assert_eq!(d.points.len(), N);
        assert!(d.warnings.is_empty());
        // Reversed ids: every parent after its child, so the depth-first order is used.
        let mut text = format!("{N} 1 0 0 0 5 -1\n");
        for i in 1..N {
            writeln!(text, "{i} 3 0 0 0 1 {}", i + 1).unwrap();
        }
        let d = ok(&text);
        assert_eq!(d.points.len(), N);
        assert_eq!(d.points[1].id, N as i64 - 1);
        assert_eq!(d.warnings.len(), 1);
        // One long cycle.
        let mut text = String::from("1 1 0 0 0 5 -1\n");
        for i in 2..=N {
            let p = if i == 2 { N } else { i - 1 };
            writeln!(text, "{i} 3 0 0 0 1 {p}").unwrap();
        }
        let e = fail(&text);
        assert!(e.starts_with(&format!("t.swc:2: point 2 is in a parent cycle (2 -> {N} ->")), "{e}");
        assert!(e.contains(&format!("of {} points", N - 1)), "{e}");
    }

    #[test]
    fn read_swc_files() {
        let dir = std::env::temp_dir().join(format!("dendra-swc-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("latin1.swc");
        std::fs::write(&path, b"# Z\xfcrich \xff\xfe\n1 1 0 0 0 5 -1\n2 3 1 0 0 1 1\n").unwrap();
        let d = read_swc(&path).unwrap();
        assert_eq!(d.points.len(), 2);
        assert_eq!(d.file, path.display().to_string());
        let bad = dir.join("bad.swc");
        std::fs::write(&bad, b"1 1 0 0 0 5 -1\n2 3 \xff 0 0 1 1\n").unwrap();
        let e = read_swc(&bad).unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.to_string().starts_with(&format!("{}:2: ", bad.display())), "{e}");
        let missing = dir.join("missing.swc");
        let e = read_swc(&missing).unwrap_err();
        assert!(e.to_string().starts_with(&format!("{}: cannot read the file", missing.display())));
        let e = read_swc(&dir).unwrap_err();
        assert!(e.to_string().contains("directory"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
