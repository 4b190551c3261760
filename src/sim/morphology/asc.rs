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

use super::Morphology;
use super::error::MorphError;
use super::section::{Region, Section};
use super::swc::{MAX_ABS_VALUE_UM, MAX_FILE_BYTES, MAX_POINTS, MIN_RADIUS_UM};
use nalgebra::{Matrix3, Point3, SymmetricEigen};
use std::path::Path;

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

// ---------------------------------------------------------------------------------
// Tokens

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Eof,
    Number,
    LeftPar,
    RightPar,
    Comma,
    Bar,
    Set,
    Rgb,
    Str,
    Label,
    LeftSp,
    RightSp,
    /// A character that starts no token.
    Bad,
    /// A `"` without its closing `"` on the line.
    Unclosed,
}

#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Kind,
    /// The number's value (numbers only).
    value: f64,
    /// More than 8 significant digits: NEURON's `%.8g` changes the value.
    long: bool,
    /// Byte range of the token in the text (strings with their quotes).
    start: usize,
    end: usize,
    line: usize,
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
    line_end: usize,
    /// The line end-of-file errors name, once known.
    eof_line: Option<usize>,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c)
}

fn is_label_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Where the line starting at `from` ends: at `\n`, `\r` or the end of the text.
fn line_end(b: &[u8], from: usize) -> usize {
    b[from..].iter().position(|&c| c == b'\n' || c == b'\r').map_or(b.len(), |k| from + k)
}

/// Where the next line starts after the line end at `end` (`\r\n` is one line end).
fn next_line(b: &[u8], end: usize) -> usize {
    if b[end] == b'\r' && b.get(end + 1) == Some(&b'\n') { end + 2 } else { end + 1 }
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
        Lexer { text, pos: 0, line: 1, line_end: line_end(text.as_bytes(), 0), eof_line: None }
    }

    /// The line an end-of-file error names: the last line (a final line end does not
    /// open another one).
    fn last_line(&self) -> usize {
        let b = self.text.as_bytes();
        let (mut lines, mut at) = (1, 0);
        loop {
            let end = line_end(b, at);
            if end >= b.len() {
                return lines;
            }
            at = next_line(b, end);
            if at >= b.len() {
                return lines;
            }
            lines += 1;
        }
    }

    fn next(&mut self) -> Token {
        let b = self.text.as_bytes();
        loop {
            while self.pos < self.line_end && is_space(b[self.pos]) {
                self.pos += 1;
            }
            if self.pos >= self.line_end {
                if self.line_end >= b.len() {
                    self.pos = b.len();
                    let line = match self.eof_line {
                        Some(l) => l,
                        None => {
                            let l = self.last_line();
                            self.eof_line = Some(l);
                            l
                        }
                    };
                    return Token {
                        kind: Kind::Eof,
                        value: 0.0,
                        long: false,
                        start: b.len(),
                        end: b.len(),
                        line,
                    };
                }
                self.pos = next_line(b, self.line_end);
                self.line += 1;
                self.line_end = line_end(b, self.pos);
                continue;
            }
            if b[self.pos] == b';' {
                self.pos = self.line_end;
                continue;
            }
            break;
        }
        let start = self.pos;
        let mut tok =
            Token { kind: Kind::Bad, value: 0.0, long: false, start, end: start + 1, line: self.line };
        if let Some((value, end, long)) = scan_number(&b[start..self.line_end]) {
            tok.kind = Kind::Number;
            tok.value = value;
            tok.long = long;
            tok.end = start + end;
        } else {
            let rest = &b[start..self.line_end];
            let keyword = |word: &[u8]| rest.starts_with(word) && rest[3..].iter().any(|&c| !is_space(c));
            match b[start] {
                b'(' => tok.kind = Kind::LeftPar,
                b')' => tok.kind = Kind::RightPar,
                b',' => tok.kind = Kind::Comma,
                b'|' => tok.kind = Kind::Bar,
                b'<' => tok.kind = Kind::LeftSp,
                b'>' => tok.kind = Kind::RightSp,
                _ if keyword(b"set") || keyword(b"Set") || keyword(b"SET") => {
                    tok.kind = Kind::Set;
                    tok.end = start + 3;
                }
                _ if keyword(b"RGB") => {
                    tok.kind = Kind::Rgb;
                    tok.end = start + 3;
                }
                b'"' => match rest[1..].iter().position(|&c| c == b'"') {
                    Some(k) => {
                        tok.kind = Kind::Str;
                        tok.end = start + k + 2;
                    }
                    None => {
                        tok.kind = Kind::Unclosed;
                        tok.end = self.line_end;
                    }
                },
                c if is_label_char(c) => {
                    tok.kind = Kind::Label;
                    tok.end = start + rest.iter().position(|&c| !is_label_char(c)).unwrap_or(rest.len());
                }
                _ => {
                    // One whole character (the text is UTF-8).
                    let ch = self.text[start..].chars().next().map_or(1, char::len_utf8);
                    tok.end = start + ch;
                }
            }
        }
        self.pos = tok.end;
        tok
    }
}

/// A number at the start of `s` as glibc's `scanf("%lf")` reads it: the value, the bytes
/// consumed and whether it has more than 8 significant digits.
fn scan_number(s: &[u8]) -> Option<(f64, usize, bool)> {
    let mut i = 0;
    let negative = matches!(s.first(), Some(b'-'));
    if matches!(s.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    let word = |w: &str, at: usize| {
        s.len() >= at + w.len() && s[at..at + w.len()].eq_ignore_ascii_case(w.as_bytes())
    };
    if word("nan", i) {
        return Some((f64::NAN, i + 3, false));
    }
    if word("inf", i) {
        let end = if word("infinity", i) { i + 8 } else { i + 3 };
        return Some((if negative { f64::NEG_INFINITY } else { f64::INFINITY }, end, false));
    }
    let digits_from = |mut k: usize| {
        while k < s.len() && s[k].is_ascii_digit() {
            k += 1;
        }
        k
    };
    let int_end = digits_from(i);
    let mut mant_end = int_end;
    let mut digits = int_end - i;
    if mant_end < s.len() && s[mant_end] == b'.' {
        let frac_end = digits_from(mant_end + 1);
        digits += frac_end - mant_end - 1;
        mant_end = frac_end;
    }
    if digits == 0 {
        return None;
    }
    let significant =
        s[i..mant_end].iter().skip_while(|&&c| c == b'0' || c == b'.').filter(|c| c.is_ascii_digit()).count();
    let mut end = mant_end;
    let mut value_end = mant_end;
    if end < s.len() && (s[end] == b'e' || s[end] == b'E') {
        let mut j = end + 1;
        if j < s.len() && (s[j] == b'+' || s[j] == b'-') {
            j += 1;
        }
        let k = digits_from(j);
        if k > j {
            end = k;
            value_end = k;
        } else {
            // glibc consumes the dangling exponent marker and reads the mantissa alone.
            end = j;
        }
    }
    let text = std::str::from_utf8(&s[..value_end]).ok()?;
    let value: f64 = text.parse().ok()?;
    Some((value, end, significant > 8))
}

/// A token as shown in messages: in double quotes, at most 32 characters, control
/// characters, quotes and backslashes escaped.
fn quote(tok: &str) -> String {
    let mut s = String::from("\"");
    for (i, c) in tok.chars().enumerate() {
        if i == 32 {
            s.push_str("...");
            break;
        }
        if c.is_control() || c == '"' || c == '\\' {
            s.extend(c.escape_default());
        } else {
            s.push(c);
        }
    }
    s.push('"');
    s
}

// ---------------------------------------------------------------------------------
// Parser

/// How a point is kept.
#[derive(Clone, Copy, PartialEq)]
enum Keep {
    /// A point of a soma contour.
    Contour,
    /// A point of a tree.
    Tree,
    /// Read and dropped (markers, spines, other contours).
    No,
}

#[derive(Debug, Clone, Copy)]
struct Pt {
    /// x, y, z, diameter (um).
    v: [f64; 4],
    /// Some value has more than 8 significant digits.
    long: bool,
    line: usize,
}

/// A section as Import3d holds it before instantiation.
#[derive(Debug, Clone)]
struct RawSec {
    kind: i32,
    contour: bool,
    /// Own points: `pts[begin..end]`.
    begin: usize,
    end: usize,
    /// A copy of the parent's last point put first (diameter: the first own point's).
    extra: Option<[f64; 3]>,
    parent: Option<usize>,
    parent_x: f64,
    /// Contours stacked under this one (indices into the sections).
    stack: Vec<usize>,
    subsidiary: bool,
}

struct Parser<'a> {
    file: &'a str,
    text: &'a str,
    lex: Lexer<'a>,
    cur: Token,
    la: Token,
    la2: Token,
    max_points: usize,
    pts: Vec<Pt>,
    secs: Vec<RawSec>,
    warnings: Vec<String>,
    thin: usize,
    spines: usize,
    ignored_contours: usize,
    first_ignored: Option<(String, usize)>,
    marker_points: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, file: &'a str, max_points: usize) -> Self {
        let mut lex = Lexer::new(text);
        let cur = lex.next();
        let la = lex.next();
        let la2 = lex.next();
        Parser {
            file,
            text,
            lex,
            cur,
            la,
            la2,
            max_points,
            pts: Vec::new(),
            secs: Vec::new(),
            warnings: Vec::new(),
            thin: 0,
            spines: 0,
            ignored_contours: 0,
            first_ignored: None,
            marker_points: 0,
        }
    }

    fn advance(&mut self) {
        self.cur = self.la;
        self.la = self.la2;
        self.la2 = self.lex.next();
    }

    fn tok_text(&self, t: &Token) -> &'a str {
        &self.text[t.start..t.end]
    }

    fn error(&self, line: usize, message: String) -> MorphError {
        MorphError::new(self.file, Some(line), message)
    }

    fn unexpected(&self, t: &Token, expected: &str) -> MorphError {
        let message = match t.kind {
            Kind::Eof => format!("unexpected end of file, expected {expected}"),
            Kind::Unclosed => {
                format!(
                    "unexpected token {}: the string has no closing '\"' on its line",
                    quote(self.tok_text(t))
                )
            }
            _ => format!("unexpected token {}, expected {expected}", quote(self.tok_text(t))),
        };
        self.error(t.line, message)
    }

    fn chk(&self, kind: Kind, expected: &str) -> Result<(), MorphError> {
        if self.cur.kind == kind { Ok(()) } else { Err(self.unexpected(&self.cur, expected)) }
    }

    fn demand(&mut self, kind: Kind, expected: &str) -> Result<(), MorphError> {
        self.advance();
        self.chk(kind, expected)
    }

    fn optional_comma(&mut self) {
        if self.cur.kind == Kind::Comma {
            self.advance();
        }
    }

    /// `objects`, with sets holding objects tracked by a depth count.
    fn parse_file(&mut self) -> Result<(), MorphError> {
        let mut sets = 0usize;
        'objects: loop {
            self.chk(Kind::LeftPar, "\"(\" starting an object")?;
            match self.la.kind {
                Kind::Str => self.contour()?,
                Kind::Label => self.marker_or_property(Keep::No)?,
                Kind::LeftPar => self.tree_or_text()?,
                Kind::Set => {
                    self.advance();
                    self.demand(Kind::Str, "the set's name in quotes")?;
                    self.advance();
                    if self.cur.kind != Kind::RightPar {
                        sets += 1;
                        continue 'objects;
                    }
                    self.advance();
                }
                _ => {
                    return Err(
                        self.unexpected(&self.la, "a contour name, a label, a set or \"(\" after \"(\"")
                    );
                }
            }
            loop {
                self.optional_comma();
                if self.cur.kind == Kind::LeftPar {
                    continue 'objects;
                }
                if sets == 0 {
                    break 'objects;
                }
                self.chk(Kind::RightPar, "\")\" closing the set")?;
                self.advance();
                sets -= 1;
            }
        }
        if self.cur.kind != Kind::Eof {
            self.warnings.push(format!(
                "line {}: {} does not start an object; NEURON stops reading there and so did this reader",
                self.cur.line,
                quote(self.tok_text(&self.cur))
            ));
        }
        Ok(())
    }

    fn contour(&mut self) -> Result<(), MorphError> {
        self.advance();
        let name = &self.text[self.cur.start + 1..self.cur.end - 1];
        let line = self.cur.line;
        let keep = matches!(name, "CellBody" | "Cell Body" | "Soma");
        self.advance();
        self.properties()?;
        let begin = self.pts.len();
        self.points(if keep { Keep::Contour } else { Keep::No })?;
        if keep {
            if self.pts.len() - begin > 2 {
                self.secs.push(RawSec {
                    kind: 1,
                    contour: true,
                    begin,
                    end: self.pts.len(),
                    extra: None,
                    parent: None,
                    parent_x: 1.0,
                    stack: Vec::new(),
                    subsidiary: false,
                });
            } else {
                self.pts.truncate(begin);
                self.warnings
                    .push(format!("line {line}: a soma contour of less than three points was ignored"));
            }
        } else {
            self.ignored_contours += 1;
            if self.first_ignored.is_none() {
                self.first_ignored = Some((name.to_string(), line));
            }
        }
        self.chk(Kind::RightPar, "\")\" closing the contour")?;
        self.advance();
        Ok(())
    }

    fn marker_or_property(&mut self, keep: Keep) -> Result<(), MorphError> {
        if self.la2.kind == Kind::LeftPar { self.marker(keep) } else { self.property().map(|_| ()) }
    }

    fn marker(&mut self, keep: Keep) -> Result<(), MorphError> {
        self.chk(Kind::LeftPar, "\"(\" starting a marker")?;
        self.demand(Kind::Label, "a marker name")?;
        self.advance();
        self.properties()?;
        let before = self.pts.len();
        self.points(keep)?;
        self.marker_points += self.pts.len() - before;
        self.chk(Kind::RightPar, "\")\" closing the marker")?;
        self.advance();
        Ok(())
    }

    /// Skips a marker with everything inside it (NEURON's `markerlist`).
    fn skip_marker(&mut self) -> Result<(), MorphError> {
        self.chk(Kind::LeftPar, "\"(\" starting a marker")?;
        let mut depth = 1usize;
        while depth != 0 {
            self.advance();
            match self.cur.kind {
                Kind::RightPar => depth -= 1,
                Kind::LeftPar => depth += 1,
                // NEURON would loop for ever on these.
                Kind::Eof | Kind::Bad => return Err(self.unexpected(&self.cur, "\")\" closing the marker")),
                _ => {}
            }
        }
        self.advance();
        Ok(())
    }

    /// A property list; returns the section type its last property gives a tree.
    fn properties(&mut self) -> Result<i32, MorphError> {
        let mut kind = 0;
        let starts = |p: &Self| p.cur.kind == Kind::LeftPar && matches!(p.la.kind, Kind::Label | Kind::Set);
        if starts(self) {
            loop {
                if self.la.kind == Kind::Label {
                    kind = self.property()?;
                } else {
                    self.advance();
                    self.demand(Kind::Str, "the set's name in quotes")?;
                    self.advance();
                    self.chk(
                        Kind::RightPar,
                        "\")\" closing the set (a set inside a property list holds no objects)",
                    )?;
                    self.advance();
                }
                self.optional_comma();
                if !starts(self) {
                    break;
                }
            }
        }
        Ok(kind)
    }

    /// `(Label values)`; returns the tree type the label names (0 for others).
    fn property(&mut self) -> Result<i32, MorphError> {
        self.chk(Kind::LeftPar, "\"(\" starting a property")?;
        self.demand(Kind::Label, "a property name")?;
        let kind = match self.tok_text(&self.cur) {
            "Axon" => 2,
            "Dendrite" => 3,
            "Apical" => 4,
            _ => 0,
        };
        self.advance();
        while matches!(self.cur.kind, Kind::Number | Kind::Str | Kind::Label | Kind::Rgb) {
            if self.cur.kind == Kind::Rgb {
                self.demand(Kind::LeftPar, "\"(\" after RGB")?;
                self.demand(Kind::Number, "a number (red)")?;
                self.advance();
                self.optional_comma();
                self.chk(Kind::Number, "a number (green)")?;
                self.advance();
                self.optional_comma();
                self.chk(Kind::Number, "a number (blue)")?;
                self.demand(Kind::RightPar, "\")\" closing RGB")?;
            }
            self.advance();
        }
        self.chk(Kind::RightPar, "\")\" closing the property")?;
        self.advance();
        Ok(kind)
    }

    fn points(&mut self, keep: Keep) -> Result<(), MorphError> {
        let p = self.point()?;
        self.push(p, keep)?;
        loop {
            self.optional_comma();
            if self.cur.kind != Kind::LeftPar {
                return Ok(());
            }
            let p = self.point()?;
            self.push(p, keep)?;
        }
    }

    /// `(x y [z [d [label] [bezier]]])`: the tokens of x, y, z and d.
    fn point(&mut self) -> Result<[Option<Token>; 4], MorphError> {
        self.chk(Kind::LeftPar, "\"(\" starting a point")?;
        self.demand(Kind::Number, "a number (the x of a point)")?;
        let x = self.cur;
        self.advance();
        self.optional_comma();
        self.chk(Kind::Number, "a number (the y of a point)")?;
        let y = self.cur;
        let (mut z, mut d) = (None, None);
        self.advance();
        self.optional_comma();
        if self.cur.kind == Kind::Number {
            z = Some(self.cur);
            self.advance();
            self.optional_comma();
            if self.cur.kind == Kind::Number {
                d = Some(self.cur);
                self.advance();
                self.optional_comma();
                if self.cur.kind == Kind::Label {
                    self.advance();
                }
                self.optional_comma();
                if self.cur.kind == Kind::LeftPar {
                    self.demand(Kind::Number, "a number (of a bezier point)")?;
                    for _ in 0..3 {
                        self.advance();
                        self.optional_comma();
                        self.chk(Kind::Number, "a number (of a bezier point)")?;
                    }
                    self.demand(Kind::RightPar, "\")\" closing the bezier point")?;
                    self.advance();
                }
            }
        }
        self.chk(Kind::RightPar, "\")\" closing the point")?;
        self.advance();
        Ok([Some(x), Some(y), z, d])
    }

    fn push(&mut self, p: [Option<Token>; 4], keep: Keep) -> Result<(), MorphError> {
        if keep == Keep::No {
            return Ok(());
        }
        let line = p[0].map_or(self.cur.line, |t| t.line);
        if self.pts.len() >= self.max_points {
            return Err(
                self.error(line, format!("more than {} points: the file is too large", self.max_points))
            );
        }
        let mut v = [0.0; 4];
        let mut long = false;
        for (k, t) in p.iter().enumerate() {
            let Some(t) = t else { continue };
            let what = ["x", "y", "z", "diameter"][k];
            if !t.value.is_finite() {
                return Err(self
                    .error(t.line, format!("{} is not a finite number ({what})", quote(self.tok_text(t)))));
            }
            if t.value.abs() > MAX_ABS_VALUE_UM {
                return Err(self.error(
                    t.line,
                    format!(
                        "{} is out of range ({what}; values must be at most {MAX_ABS_VALUE_UM:e} um in magnitude)",
                        quote(self.tok_text(t))
                    ),
                ));
            }
            v[k] = t.value;
            long |= t.long;
        }
        if v[3] < 0.0 {
            return Err(self.error(
                line,
                format!("negative diameter {}", quote(self.tok_text(&p[3].unwrap_or(self.cur)))),
            ));
        }
        if keep == Keep::Tree && v[3] < 2.0 * MIN_RADIUS_UM {
            v[3] = 2.0 * MIN_RADIUS_UM;
            long = true;
            self.thin += 1;
        }
        self.pts.push(Pt { v, long, line });
        Ok(())
    }

    /// Spines after a tree point: `<properties point>`, read and dropped.
    fn spines(&mut self) -> Result<(), MorphError> {
        while self.cur.kind == Kind::LeftSp {
            self.advance();
            self.properties()?;
            self.point()?;
            self.chk(Kind::RightSp, "\">\" closing the spine")?;
            self.advance();
            self.spines += 1;
        }
        Ok(())
    }

    /// `( properties point "text" )` or `( properties branch )`.
    fn tree_or_text(&mut self) -> Result<(), MorphError> {
        self.advance();
        let kind = self.properties()?;
        let first = self.point()?;
        if self.cur.kind == Kind::Str {
            self.advance();
            self.chk(Kind::RightPar, "\")\" closing the text")?;
            self.advance();
            return Ok(());
        }
        let begin = self.pts.len();
        self.push(first, Keep::Tree)?;
        self.spines()?;
        self.tree(kind, begin)
    }

    /// A tree whose first point is read: branches, with the open splits on a stack.
    fn tree(&mut self, kind: i32, first_begin: usize) -> Result<(), MorphError> {
        let mut splits: Vec<usize> = Vec::new();
        let mut parent = None;
        let mut begin = first_begin;
        let mut started = true;
        loop {
            if !started {
                begin = self.pts.len();
                if self.la.kind == Kind::Label {
                    self.marker_or_property(Keep::Tree)?;
                } else {
                    let p = self.point()?;
                    self.push(p, Keep::Tree)?;
                    self.spines()?;
                }
            }
            started = false;
            loop {
                self.optional_comma();
                if !(self.cur.kind == Kind::LeftPar && self.la.kind == Kind::Number) {
                    break;
                }
                let p = self.point()?;
                self.push(p, Keep::Tree)?;
                self.spines()?;
            }
            let sec = self.new_section(begin, parent, kind)?;
            // The branch's end: markers, then a split or a label.
            self.optional_comma();
            if self.cur.kind == Kind::LeftPar {
                while self.la.kind == Kind::Label {
                    self.skip_marker()?;
                }
            }
            self.optional_comma();
            if self.cur.kind == Kind::LeftPar {
                self.advance();
                splits.push(sec);
                parent = Some(sec);
                continue;
            }
            if self.cur.kind == Kind::Label {
                self.advance();
            }
            loop {
                let Some(&p) = splits.last() else {
                    self.chk(Kind::RightPar, "\")\" closing the tree")?;
                    self.advance();
                    return Ok(());
                };
                if self.cur.kind == Kind::Bar {
                    self.advance();
                    parent = Some(p);
                    break;
                }
                self.chk(Kind::RightPar, "\"|\" or \")\" closing the split")?;
                self.advance();
                splits.pop();
            }
        }
    }

    fn new_section(&mut self, begin: usize, parent: Option<usize>, kind: i32) -> Result<usize, MorphError> {
        let end = self.pts.len();
        if end == begin {
            // NEURON stops with an index error here.
            return Err(self.unexpected(&self.cur, "a point (a branch needs at least one)"));
        }
        let first = self.pts[begin].v;
        let extra = parent.and_then(|p| {
            let last = self.pts[self.secs[p].end - 1].v;
            (last[..3] != first[..3]).then_some([last[0], last[1], last[2]])
        });
        self.secs.push(RawSec {
            kind,
            contour: false,
            begin,
            end,
            extra,
            parent,
            parent_x: 1.0,
            stack: Vec::new(),
            subsidiary: false,
        });
        Ok(self.secs.len() - 1)
    }
}

// ---------------------------------------------------------------------------------
// Sections

/// NEURON's `Vector.interpolate(xdest, xsrc, ysrc)`.
fn interpolate(xd: &[f64], xs: &[f64], ys: &[f64]) -> Vec<f64> {
    let (nd, ns) = (xd.len(), xs.len());
    let mut yd = vec![0.0; nd];
    if ns == 0 {
        return yd;
    }
    let mut id = 0;
    while id < nd && xd[id] <= xs[0] {
        yd[id] = ys[0];
        id += 1;
    }
    let mut is = 1;
    while is < ns && id < nd {
        if xs[is] > xs[is - 1] {
            while xd[id] <= xs[is] {
                let th = (xd[id] - xs[is - 1]) / (xs[is] - xs[is - 1]);
                yd[id] = (1.0 - th) * ys[is - 1] + th * ys[is];
                id += 1;
                if id >= nd {
                    break;
                }
            }
        }
        is += 1;
    }
    while id < nd {
        yd[id] = ys[ns - 1];
        id += 1;
    }
    yd
}

fn mean(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |s, x| s + x) / v.len() as f64
}

/// NEURON's `contourcenter`: resamples the contour (x, y, z; at least one point) to 101
/// points evenly spaced along its x-y path (without the closing edge) and returns
/// their mean.
fn contour_center(x: &mut Vec<f64>, y: &mut Vec<f64>, z: &mut Vec<f64>) -> [f64; 3] {
    let n = x.len();
    let mut perim = vec![0.0; n];
    for i in 1..n {
        let (dx, dy) = (x[i] - x[i - 1], y[i] - y[i - 1]);
        perim[i] = perim[i - 1] + (dx * dx + dy * dy).sqrt();
    }
    let step = perim[n - 1] / 100.0;
    let d: Vec<f64> = (0..101).map(|i| i as f64 * step).collect();
    *x = interpolate(&d, &perim, x);
    *y = interpolate(&d, &perim, y);
    *z = interpolate(&d, &perim, z);
    [mean(x), mean(y), mean(z)]
}

fn first_max(v: &[f64]) -> usize {
    (1..v.len()).fold(0, |m, i| if v[i] > v[m] { i } else { m })
}

fn first_min(v: &[f64]) -> usize {
    (1..v.len()).fold(0, |m, i| if v[i] < v[m] { i } else { m })
}

/// Removes values that do not increase, as `contour2centroid` makes each side convex.
fn make_increasing(d: &mut Vec<f64>, rad: &mut Vec<f64>) {
    let mut j = d.len() as isize - 1;
    while j > 0 {
        let k = j as usize;
        if d[k] <= d[k - 1] {
            d.remove(k);
            rad.remove(k);
            if k != d.len() {
                j += 1;
            }
        }
        j -= 1;
    }
}

/// NEURON's `contour2centroid`: a soma contour -> points along its major axis with the
/// contour's width as diameter. `None` when the contour is degenerate (NEURON stops).
fn contour_to_centroid(pts: &[Pt]) -> Option<(Vec<[f64; 3]>, Vec<f64>)> {
    let mut x: Vec<f64> = pts.iter().map(|p| p.v[0]).collect();
    let mut y: Vec<f64> = pts.iter().map(|p| p.v[1]).collect();
    let mut z: Vec<f64> = pts.iter().map(|p| p.v[2]).collect();
    let c = contour_center(&mut x, &mut y, &mut z);
    let rows = [
        x.iter().map(|v| v - c[0]).collect::<Vec<f64>>(),
        y.iter().map(|v| v - c[1]).collect(),
        z.iter().map(|v| v - c[2]).collect(),
    ];
    let mut m = Matrix3::zeros();
    for i in 0..3 {
        for j in i..3 {
            let s = rows[i].iter().zip(&rows[j]).fold(0.0, |s, (a, b)| s + a * b);
            m[(i, j)] = s;
            m[(j, i)] = s;
        }
    }
    let eig = SymmetricEigen::new(m);
    let values = [eig.eigenvalues[0], eig.eigenvalues[1], eig.eigenvalues[2]];
    if !values.iter().all(|v| v.is_finite()) {
        return None;
    }
    let (imax, imin) = (first_max(&values), first_min(&values));
    if imax == imin {
        return None;
    }
    let col = |k: usize| [eig.eigenvectors[(0, k)], eig.eigenvectors[(1, k)], eig.eigenvectors[(2, k)]];
    let mut major = col(imax);
    let abs = major.map(f64::abs);
    if major[first_max(&abs)] < 0.0 {
        major = major.map(|v| -v);
    }
    let mut minor = col(3 - imin - imax);
    minor[2] = 0.0;
    let mag = |v: &[f64; 3]| (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    let ratio = mag(&minor) / (mag(&major) + 1e-100);
    if ratio.is_nan() || ratio < 1e-6 {
        return None;
    }
    let mm = mag(&minor);
    minor = minor.map(|v| v / mm);
    let n = x.len();
    let dot = |k: usize, a: &[f64; 3]| rows[0][k] * a[0] + rows[1][k] * a[1] + rows[2][k] * a[2];
    let mut d: Vec<f64> = (0..n).map(|k| dot(k, &major)).collect();
    let mut rad: Vec<f64> = (0..n).map(|k| dot(k, &minor)).collect();
    let imax = first_max(&d);
    d.rotate_left(imax);
    rad.rotate_left(imax);
    let imin = first_min(&d);
    let mut side2 = d.split_off(imin);
    let mut rad2 = rad.split_off(imin);
    d.reverse();
    rad.reverse();
    if d.is_empty() || side2.is_empty() {
        return None;
    }
    make_increasing(&mut d, &mut rad);
    make_increasing(&mut side2, &mut rad2);
    let mut all: Vec<f64> = d.iter().chain(&side2).copied().collect();
    all.sort_by(f64::total_cmp);
    if all.len() < 2 {
        return None;
    }
    let (start, stop) = (all[1], all[all.len() - 2]);
    let step = (stop - start) / 20.0;
    let count = ((stop - start) / step + 1e-9).floor() + 1.0;
    if !(count.is_finite() && (2.0..=1000.0).contains(&count)) {
        return None;
    }
    let t: Vec<f64> = (0..count as usize).map(|i| i as f64 * step + start).collect();
    let r1 = interpolate(&t, &d, &rad);
    let r2 = interpolate(&t, &side2, &rad2);
    let mut points = Vec::with_capacity(t.len());
    let mut diams = Vec::with_capacity(t.len());
    for (k, &tk) in t.iter().enumerate() {
        points.push([major[0] * tk + c[0], major[1] * tk + c[1], major[2] * tk + c[2]]);
        diams.push((r1[k] - r2[k]).abs());
    }
    let last = diams.len() - 1;
    diams[0] = (diams[0] + diams[1]) / 2.0;
    diams[last] = (diams[last] + diams[last - 1]) / 2.0;
    Some((points, diams))
}

/// NEURON's `approximate_contour_by_circle`: the contour's centre and a diameter of mean
/// radius + perimeter / 2 pi.
fn contour_circle(pts: &[Pt]) -> ([f64; 3], f64) {
    let n = pts.len();
    let mut perim = 0.0;
    for i in 0..n {
        let (a, b) = (pts[i].v, pts[(i + 1) % n].v);
        perim += dist([a[0], a[1], a[2]], [b[0], b[1], b[2]]);
    }
    let mut x: Vec<f64> = pts.iter().map(|p| p.v[0]).collect();
    let mut y: Vec<f64> = pts.iter().map(|p| p.v[1]).collect();
    let mut z: Vec<f64> = pts.iter().map(|p| p.v[2]).collect();
    let c = contour_center(&mut x, &mut y, &mut z);
    let r: Vec<f64> = (0..x.len()).map(|k| dist([x[k], y[k], z[k]], c)).collect();
    (c, mean(&r) + perim / (2.0 * std::f64::consts::PI))
}

/// The centre of a contour stack: halfway along the path through the contours' centres
/// (NEURON's `stk_center`).
fn stack_center(contours: &[&[Pt]]) -> [f64; 3] {
    let centre = |p: &[Pt]| {
        let mut x: Vec<f64> = p.iter().map(|p| p.v[0]).collect();
        let mut y: Vec<f64> = p.iter().map(|p| p.v[1]).collect();
        let mut z: Vec<f64> = p.iter().map(|p| p.v[2]).collect();
        contour_center(&mut x, &mut y, &mut z)
    };
    let centres: Vec<[f64; 3]> = contours.iter().map(|c| centre(c)).collect();
    let mut lens = vec![0.0];
    let mut len = 0.0;
    for i in 1..centres.len() {
        len += dist(centres[i], centres[i - 1]);
        lens.push(len);
    }
    let half = len / 2.0;
    if half == 0.0 {
        return centres[0];
    }
    let Some(i) = lens.iter().position(|&l| l > half) else { return centres[0] };
    let th = (half - lens[i - 1]) / (lens[i] - lens[i - 1]);
    [0, 1, 2].map(|j| th * centres[i][j] + (1.0 - th) * centres[i - 1][j])
}

/// Euclidean distance, summed in NEURON's order.
fn dist(a: [f64; 3], b: [f64; 3]) -> f64 {
    let (dx, dy, dz) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    (dx * dx + dy * dy + dz * dz).sqrt()
}

/// x-y-z bounding box: min then max.
fn bbox(p: &[Pt]) -> [f64; 6] {
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for q in p {
        for j in 0..3 {
            b[j] = b[j].min(q.v[j]);
            b[j + 3] = b[j + 3].max(q.v[j]);
        }
    }
    b
}

/// Most (soma, tree) pairs the connection step may try: NEURON's rule is quadratic in
/// them, so a file of many separate somas and many trees is refused rather than slow.
pub const MAX_SOMA_TREE_PAIRS: usize = 50_000_000;

/// A value as NEURON's instantiate writes it (`%.8g`) and stores it (single precision).
fn neuron_value(v: f64, long: bool) -> f64 {
    let v = if long { format!("{v:.7e}").parse().unwrap_or(v) } else { v };
    v as f32 as f64
}

/// Import3d's steps after reading: soma first, stacks, roots to the soma, `chk_valid`,
/// names, and the points each section is given.
fn build(p: &Parser) -> Result<(Vec<Section>, Vec<String>), MorphError> {
    let mut warnings = Vec::new();
    let pts = &p.pts;
    if p.spines > 0 {
        warnings.push(format!("{} spine{} ignored (as NEURON ignores them)", p.spines, plural(p.spines)));
    }
    if p.ignored_contours > 0 {
        let (name, line) = p.first_ignored.clone().unwrap_or_default();
        warnings.push(format!(
            "{} contour{} that {} not a soma (\"CellBody\") ignored, the first \"{name}\" at line {line}",
            p.ignored_contours,
            plural(p.ignored_contours),
            if p.ignored_contours == 1 { "is" } else { "are" }
        ));
    }
    if p.marker_points > 0 {
        warnings.push(format!(
            "{} point{} of markers that open a branch counted as points of the branch (as NEURON does)",
            p.marker_points,
            plural(p.marker_points)
        ));
    }
    if p.secs.is_empty() {
        return Err(MorphError::new(
            p.file,
            None,
            "no soma contour and no tree: nothing to build a cell from",
        ));
    }

    // Soma contours first, in file order; the others keep their order.
    let n = p.secs.len();
    let mut order: Vec<usize> = (0..n).filter(|&i| p.secs[i].contour).collect();
    let nsoma = order.len();
    order.extend((0..n).filter(|&i| !p.secs[i].contour));
    let mut new_of = vec![0usize; n];
    for (k, &i) in order.iter().enumerate() {
        new_of[i] = k;
    }
    let mut secs: Vec<RawSec> = order.iter().map(|&i| p.secs[i].clone()).collect();
    for s in &mut secs {
        s.parent = s.parent.map(|q| new_of[q]);
    }
    let own = |s: &RawSec| &pts[s.begin..s.end];

    // Stacks: a contour whose x-y box overlaps the previous contour's joins the stack.
    let mut somas: Vec<usize> = Vec::new();
    let mut prev_box = [0.0; 6];
    for i in 0..nsoma {
        let b = bbox(own(&secs[i]));
        let overlaps = i > 0 && (0..2).all(|k| !(prev_box[k] > b[k + 3] || b[k] > prev_box[k + 3]));
        if overlaps {
            let head = *somas.last().expect("a contour before");
            secs[head].stack.push(i);
            secs[i].subsidiary = true;
        } else {
            somas.push(i);
        }
        prev_box = b;
    }
    for &s in &somas {
        if !secs[s].stack.is_empty() {
            stack_checks(&secs, s, pts, &mut warnings);
        }
    }

    // Roots to the soma.
    let mut roots: Vec<usize> = (nsoma..n).filter(|&i| secs[i].parent.is_none()).collect();
    // NEURON tries every tree against every soma; keep that work bounded.
    if somas.len().saturating_mul(roots.len()) > MAX_SOMA_TREE_PAIRS {
        return Err(MorphError::new(
            p.file,
            None,
            format!(
                "{} separate soma contours and {} trees: too many to connect (at most {MAX_SOMA_TREE_PAIRS} pairs)",
                somas.len(),
                roots.len()
            ),
        ));
    }
    if somas.is_empty() {
        warnings.push("no soma contour (\"CellBody\"): the trees are not connected to a soma".into());
    } else {
        let mut centers = Vec::with_capacity(somas.len());
        for &s in &somas {
            let (center, lo, hi) = if secs[s].stack.is_empty() {
                let c = own(&secs[s]);
                let mut x: Vec<f64> = c.iter().map(|p| p.v[0]).collect();
                let mut y: Vec<f64> = c.iter().map(|p| p.v[1]).collect();
                let mut z: Vec<f64> = c.iter().map(|p| p.v[2]).collect();
                let center = contour_center(&mut x, &mut y, &mut z);
                let b = bbox(c);
                (center, [b[0] - 0.5, b[1] - 0.5], [b[3] + 0.5, b[4] + 0.5])
            } else {
                let all: Vec<&[Pt]> =
                    std::iter::once(s).chain(secs[s].stack.iter().copied()).map(|k| own(&secs[k])).collect();
                let mut b = bbox(all[0]);
                for c in &all[1..] {
                    let bc = bbox(c);
                    for j in 0..3 {
                        b[j] = b[j].min(bc[j]);
                        b[j + 3] = b[j + 3].max(bc[j + 3]);
                    }
                }
                (stack_center(&all), [b[0], b[1]], [b[3], b[4]])
            };
            centers.push(center);
            roots.retain(|&r| {
                let q = pts[secs[r].begin].v;
                let inside = q[0] >= lo[0] && q[0] <= hi[0] && q[1] >= lo[1] && q[1] <= hi[1];
                if inside {
                    secs[r].parent = Some(s);
                    secs[r].parent_x = 0.5;
                }
                !inside
            });
        }
        let mut imin = 0;
        for &r in &roots {
            let q = pts[secs[r].begin];
            let mut dmin = 1e9;
            for (j, c) in centers.iter().enumerate() {
                let d = dist([q.v[0], q.v[1], q.v[2]], *c);
                if d < dmin {
                    imin = j;
                    dmin = d;
                }
            }
            warnings.push(format!(
                "line {}: the tree starting here is outside the soma's bounding box; connected to the centre of the nearest soma (as NEURON does)",
                q.line
            ));
            secs[r].parent = Some(somas[imin]);
            secs[r].parent_x = 0.5;
        }
    }

    // chk_valid: one-point sections and two-point sections of zero length go; their
    // children take their parent and position.
    let mut removed = vec![false; n];
    let mut nremoved = 0;
    for i in 0..n {
        let s = &secs[i];
        if s.parent.is_none() {
            continue;
        }
        let count = s.end - s.begin + usize::from(s.extra.is_some());
        let (a, b) = match s.extra {
            Some(e) => (e, pts[s.begin].v),
            None if count >= 2 => {
                let (u, v) = (pts[s.begin].v, pts[s.begin + 1].v);
                ([u[0], u[1], u[2]], v)
            }
            None => ([0.0; 3], [0.0; 4]),
        };
        if count <= 1 || (count == 2 && a[..] == b[..3]) {
            removed[i] = true;
            nremoved += 1;
        }
    }
    for i in 0..n {
        if let Some(q) = secs[i].parent
            && removed[q]
        {
            secs[i].parent = secs[q].parent;
            secs[i].parent_x = secs[q].parent_x;
        }
    }
    if nremoved > 0 {
        warnings.push(format!(
            "{nremoved} section{} of one point or of zero length removed and {} children reattached (as NEURON's Import3d does)",
            plural(nremoved),
            if nremoved == 1 { "its" } else { "their" }
        ));
    }

    // Instantiate.
    let mut out: Vec<Section> = Vec::with_capacity(n);
    let mut new_index = vec![usize::MAX; n];
    let mut count_by_kind: std::collections::BTreeMap<i32, usize> = Default::default();
    let mut thin_soma = 0;
    for i in 0..n {
        let s = &secs[i];
        if removed[i] || s.subsidiary {
            continue;
        }
        let region = Region::from_swc_type(s.kind);
        let c = count_by_kind.entry(s.kind).or_insert(0);
        let name = format!("{}[{}]", region.stem(), *c);
        *c += 1;
        let line = pts[s.begin].line;
        let (mut xyz, mut diams, long): (Vec<[f64; 3]>, Vec<f64>, Vec<bool>) =
            if s.contour && s.stack.is_empty() {
                let (x, d) = contour_to_centroid(own(s)).ok_or_else(|| {
                    MorphError::new(
                        p.file,
                        Some(line),
                        "the soma contour starting here has no width: NEURON cannot compute its centroid",
                    )
                })?;
                let l = vec![true; d.len()];
                (x, d, l)
            } else if s.contour {
                let mut x = Vec::new();
                let mut d = Vec::new();
                for k in std::iter::once(i).chain(s.stack.iter().copied()) {
                    let (c, dd) = contour_circle(own(&secs[k]));
                    x.push(c);
                    d.push(dd);
                }
                let l = vec![true; d.len()];
                (x, d, l)
            } else {
                let mut x = Vec::with_capacity(s.end - s.begin + 1);
                let mut d = Vec::with_capacity(s.end - s.begin + 1);
                let mut l = Vec::with_capacity(s.end - s.begin + 1);
                if let Some(e) = s.extra {
                    x.push(e);
                    d.push(pts[s.begin].v[3]);
                    l.push(true);
                }
                for q in own(s) {
                    x.push([q.v[0], q.v[1], q.v[2]]);
                    d.push(q.v[3]);
                    l.push(q.long);
                }
                (x, d, l)
            };
        let mut long = long;
        if xyz.len() == 1 {
            let (q, d) = (xyz[0], diams[0]);
            xyz = vec![[q[0] - d / 2.0, q[1], q[2]], q, [q[0] + d / 2.0, q[1], q[2]]];
            diams = vec![d; 3];
            long = vec![true; 3];
        }
        let points: Vec<Point3<f64>> = xyz
            .iter()
            .zip(&long)
            .map(|(q, &l)| Point3::new(neuron_value(q[0], l), neuron_value(q[1], l), neuron_value(q[2], l)))
            .collect();
        let mut diams: Vec<f64> = diams.iter().zip(&long).map(|(&d, &l)| neuron_value(d, l)).collect();
        for d in &mut diams {
            if *d < 2.0 * MIN_RADIUS_UM {
                // Tree points were raised (and counted) when read; a soma's computed
                // diameters are counted here.
                if s.contour {
                    thin_soma += 1;
                }
                *d = 2.0 * MIN_RADIUS_UM;
            }
        }
        let parent = s.parent.map(|q| new_index[q]);
        new_index[i] = out.len();
        out.push(Section::new(name, region, parent, s.parent_x, points, diams, line));
    }

    let thin = p.thin + thin_soma;
    if thin > 0 {
        warnings.push(format!(
            "{thin} point{} with a diameter below {} um raised to it",
            plural(thin),
            2.0 * MIN_RADIUS_UM
        ));
    }
    let out = keep_largest_cell(out, &mut warnings);
    Ok((out, warnings))
}

/// NEURON's `somastack_makes_sense`: warnings about a stack that is not flat contours
/// monotonic in z.
fn stack_checks(secs: &[RawSec], head: usize, pts: &[Pt], warnings: &mut Vec<String>) {
    let own = |k: usize| &pts[secs[k].begin..secs[k].end];
    let line = pts[secs[head].begin].line;
    let flat = |c: &[Pt]| c.iter().all(|q| q.v[2] == c[0].v[2]);
    if !flat(own(head)) {
        warnings.push(format!(
            "line {line}: the soma stack's first contour does not have a constant z; its soma may be seriously wrong"
        ));
        return;
    }
    let mut z = own(head)[0].v[2];
    let mut dir = 0.0;
    for &k in &secs[head].stack {
        let c = own(k);
        let dz = c[0].v[2] - z;
        if dz == 0.0 {
            warnings.push(format!(
                "line {}: a contour of the soma stack has the same z as the previous one",
                c[0].line
            ));
            return;
        }
        let d = dz.signum();
        if dir == 0.0 {
            dir = d;
        } else if dir != d {
            warnings.push(format!(
                "line {}: the soma stack is not monotonic in z; its soma is nonsense (as in NEURON)",
                c[0].line
            ));
            return;
        }
        z = c[0].v[2];
        if !flat(c) {
            warnings.push(format!(
                "line {}: a contour of the soma stack does not have a constant z; its soma may be seriously wrong",
                c[0].line
            ));
            return;
        }
    }
}

/// Keeps the cell (connected sections) with the most points when there are several
/// roots; the first on a tie.
fn keep_largest_cell(secs: Vec<Section>, warnings: &mut Vec<String>) -> Vec<Section> {
    let n = secs.len();
    let mut root_of = vec![0usize; n];
    let mut roots = Vec::new();
    for i in 0..n {
        match secs[i].parent {
            Some(q) => root_of[i] = root_of[q],
            None => {
                root_of[i] = i;
                roots.push(i);
            }
        }
    }
    if roots.len() <= 1 {
        return secs;
    }
    let mut size = vec![0usize; n];
    for i in 0..n {
        size[root_of[i]] += secs[i].points.len();
    }
    let keep = roots.iter().copied().fold(roots[0], |b, r| if size[r] > size[b] { r } else { b });
    let dropped: usize = (0..n).filter(|&i| root_of[i] != keep).count();
    warnings.push(format!(
        "the file holds {} unconnected cells; kept the largest (starting with {}) and dropped {dropped} section{} of the others",
        roots.len(),
        secs[keep].name,
        plural(dropped)
    ));
    let mut new_index = vec![usize::MAX; n];
    let mut out = Vec::with_capacity(n - dropped);
    for (i, mut s) in secs.into_iter().enumerate() {
        if root_of[i] != keep {
            continue;
        }
        s.parent = s.parent.map(|q| new_index[q]);
        new_index[i] = out.len();
        out.push(s);
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
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
