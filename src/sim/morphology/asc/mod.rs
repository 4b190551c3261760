//! Neurolucida ASC reader: text -> sections, as NEURON's `Import3d_Neurolucida3`
//! (`read_nlcda3.hoc`) and `Import3d_GUI.instantiate` (`import3d_gui.hoc`,
//! `import3d_sec.hoc`) build them.
//!
//! # Tokens (NEURON's `lex`)
//!
//! - Lines end at `\r\n`, `\n` or a lone `\r`, as NEURON's `File.gets` reads them. A
//!   leading byte order mark is skipped.
//! - `;` where a token would start comments out the rest of the line.
//! - Tokens, tried in this order: a number as C's `scanf("%lf")` reads it (`1`, `-.5`,
//!   `1e-3`, and glibc's habit of eating a dangling `e`: `1e)` is the number 1 then `)`;
//!   `inf` and `nan` are numbers, rejected where a point uses them); `(` `)` `,` `|` `<`
//!   `>`; `set`/`Set`/`SET` and `RGB` (as prefixes: `Settings` is the set keyword then
//!   the label `tings`, unless nothing follows on the line); a string in double quotes
//!   on one line; a label `[A-Za-z0-9_]+` (`S1`, `Normal`, `100ergs` after the number
//!   100... as scanf splits it). Anything else is a bad token, an error where met.
//!
//! # Grammar (NEURON's recursive descent, with the same two-token look-ahead)
//!
//! - The file is a list of objects `( ... )`, optionally separated by commas. What
//!   follows the last object that is not an object is ignored, as NEURON ignores it (a
//!   warning says from which line). An empty file is an error.
//! - `("Name" properties points)` is a contour. Only `"CellBody"`, `"Cell Body"` and
//!   `"Soma"` contours of three points or more make the soma; other contours (pia,
//!   closed outlines...) are ignored with a warning.
//! - `(Label ...)`: a marker (`(Dot (Color Red) (Name "M") (x y z d) ...)`, when a `(`
//!   follows the label) or a property (`(ImageCoords ...)`, `(Color Red)`), both
//!   ignored.
//! - `(Set "name" objects)`: the objects inside count as if they were outside (sets nest).
//!   A set inside a property list must be empty (NEURON would read objects there into
//!   the middle of the enclosing object; this reader refuses them).
//! - `( properties point "text")`: a text label, ignored.
//! - `( properties branch )`: a tree. The *last* property decides the type: `(Axon)`
//!   -> axon, `(Dendrite)` -> dend, `(Apical)` -> apic, anything else (even
//!   `(Apical) (Color Red)`) -> type 0, named `dend_0` as NEURON names it.
//! - Properties: `(Label values)`, values being numbers, strings, labels and
//!   `RGB (r, g, b)`.
//! - A point: `(x y [z [d [label] [(bezier x y z d)]]])` with optional commas; missing
//!   z and d are 0.
//! - A branch: points, each optionally followed by spines `<properties point>`
//!   (ignored); then markers (skipped with their contents); then an end: a split
//!   `( branch | branch | ... )` or a label (`Normal`, `Incomplete`, `High`, `Low`,
//!   `Generated`, `Midpoint`, `Origin`, or any other). A marker or a property may also
//!   open a branch; NEURON then counts the marker's points as points of the branch, and
//!   so does this reader (with a warning).
//!
//! # Sections
//!
//! - One section per branch, its own points in file order. A child branch whose first
//!   point differs from its parent's last point starts with a copy of that last point
//!   (with the child's first diameter); it connects to the parent's 1 end.
//! - Soma contours come first. Consecutive contours whose x-y bounding boxes overlap
//!   form a stack: one soma section with one point per contour (its centre, and a
//!   diameter of mean radius + perimeter / 2 pi). A single contour becomes 21 points
//!   along its major axis with the contour's width as diameter (`contour2centroid`).
//! - Every tree root connects to soma(0.5) without a wire point (its first point is its
//!   own): to the soma whose bounding box (+-0.5 um for a single contour) holds its
//!   first point in x-y, else to the soma with the nearest centre (with a warning).
//! - One-point sections and two-point sections of zero length are removed, their
//!   children reattached to their parent (NEURON's `chk_valid`). A lone one-point root
//!   becomes a cylinder along x of length and diameter d.
//! - Names: `soma[i]`, `axon[i]`, `dend[i]`, `apic[i]`, `dend_0[i]`, numbered in section
//!   order. Coordinates and diameters go through NEURON's `%.8g` and its single-precision
//!   3-D points.
//!
//! # Where this reader departs from NEURON
//!
//! - Diameters below 2 x [`MIN_RADIUS_UM`] (zeros, 2-D points) are raised to it, with a
//!   warning, as the SWC reader raises radii.
//! - When the file holds several unconnected cells (trees without a soma, or separate
//!   somas), NEURON keeps them all, unconnected; Dendra simulates one connected cell, so
//!   the largest (in points; the first on a tie) is kept, with NEURON's names, and the
//!   others are dropped with a warning.
//! - Errors where NEURON reads on: a point coordinate that is not finite or beyond
//!   [`MAX_ABS_VALUE_UM`], a negative diameter, more than [`MAX_POINTS`] points, a file
//!   with neither soma nor tree, too many separate somas times trees to connect.
//! - Errors where NEURON hangs or stops with an internal error: a bad character or the
//!   end of the file inside a marker, a branch without points, a soma contour without
//!   width.
//! - `@` and NUL are ordinary (bad) characters; NEURON's `sscanf` cuts lines at them.
//!   Hexadecimal numbers (`0x1A`) are not read as numbers.
//!
//! No input makes the reader panic; the work is linear in the size of the text (the step
//! that connects trees to somas is bounded by [`MAX_SOMA_TREE_PAIRS`]) and uses no
//! recursion (sets and splits nest through explicit stacks).

mod build;
mod contour;
mod lexer;
mod parser;

use super::Morphology;
use super::error::MorphError;
use super::section::{Region, Section};
use super::swc::{MAX_ABS_VALUE_UM, MAX_FILE_BYTES, MAX_POINTS, MIN_RADIUS_UM};
use build::*;
use contour::*;
use lexer::*;
use nalgebra::{Matrix3, Point3, SymmetricEigen};
use parser::*;
use std::path::Path;

pub use build::MAX_SOMA_TREE_PAIRS;

/// Reads and parses an ASC file, through a limit of [`MAX_FILE_BYTES`] (not the size the
/// file system reports: `/dev/zero` or a FIFO report 0 bytes and never end). Bytes that
/// are not UTF-8 are replaced by U+FFFD.
pub fn read_asc(path: &Path) -> Result<Morphology, MorphError> {
    let name = path.display().to_string();
    let bytes = crate::sim::textfile::read_bytes_limited(path, MAX_FILE_BYTES)
        .map_err(|e| MorphError::new(&name, None, e.to_string()))?;
    let text = String::from_utf8_lossy(&bytes);
    parse_asc(&text, &name)
}

/// Parses ASC text; `file` names it in messages.
pub fn parse_asc(text: &str, file: &str) -> Result<Morphology, MorphError> {
    parse_asc_limited(text, file, MAX_POINTS)
}

fn parse_asc_limited(text: &str, file: &str, max_points: usize) -> Result<Morphology, MorphError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut p = Parser::new(text, file, max_points);
    p.parse_file()?;
    let (sections, mut warnings) = build(&p)?;
    let mut all = std::mem::take(&mut p.warnings);
    all.append(&mut warnings);
    Ok(Morphology { file: file.to_string(), sections, warnings: all })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_scanf_reads_them() {
        let n = |s: &str| scan_number(s.as_bytes()).map(|(v, e, _)| (v, e));
        assert_eq!(n("12.5 x"), Some((12.5, 4)));
        assert_eq!(n("-.5)"), Some((-0.5, 3)));
        assert_eq!(n("+5"), Some((5.0, 2)));
        assert_eq!(n("1.e2"), Some((100.0, 4)));
        assert_eq!(n("1e)"), Some((1.0, 2)));
        assert_eq!(n("1e+ x"), Some((1.0, 3)));
        assert_eq!(n("100ergs"), Some((100.0, 4)));
        assert_eq!(n("5S1"), Some((5.0, 1)));
        assert_eq!(n("."), None);
        assert_eq!(n("-x"), None);
        assert_eq!(n("Normal"), None);
        assert!(n("nan").is_some_and(|(v, _)| v.is_nan()));
        assert_eq!(n("-Infinity"), Some((f64::NEG_INFINITY, 9)));
        assert!(scan_number(b"123.456789").is_some_and(|(_, _, long)| long));
        assert!(scan_number(b"0.0012345678").is_some_and(|(_, _, long)| !long));
    }

    #[test]
    fn interpolate_as_neuron() {
        let y =
            interpolate(&[-1.0, 0.0, 0.5, 1.0, 1.5, 3.0], &[0.0, 1.0, 1.0, 2.0], &[10.0, 20.0, 30.0, 40.0]);
        assert_eq!(y, vec![10.0, 10.0, 15.0, 20.0, 35.0, 40.0]);
    }

    #[test]
    fn point_limit() {
        let text = "( (Dendrite) (0 0 0 1) (1 0 0 1)\n (2 0 0 1) (3 0 0 1) )";
        assert!(parse_asc_limited(text, "t.asc", 4).is_ok());
        let e = parse_asc_limited(text, "t.asc", 3).unwrap_err();
        assert_eq!(e.to_string(), "t.asc:2: more than 3 points: the file is too large");
    }

    #[test]
    fn line_ends_as_neuron_reads_them() {
        let mut l = Lexer::new("a\r\nb\rc\n\nd");
        let lines: Vec<usize> = std::iter::from_fn(|| Some(l.next())).take(5).map(|t| t.line).collect();
        assert_eq!(lines, [1, 2, 3, 5, 5]);
        assert_eq!(Lexer::new("a\n").last_line(), 1);
        assert_eq!(Lexer::new("a\r\n\r").last_line(), 2);
        assert_eq!(Lexer::new("").last_line(), 1);
    }

    #[test]
    fn values_as_neuron_stores_them() {
        assert_eq!(neuron_value(463.12, false), 463.12f32 as f64);
        assert_eq!(neuron_value(1.234567891, true), 1.2345679f32 as f64);
    }
}
