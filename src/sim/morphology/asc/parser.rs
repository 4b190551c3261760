//! The ASC parser: Import3d_Neurolucida3's grammar, giving the raw sections (contours,
//! trees, markers, spines) and their points before NEURON's steps after reading.

#[allow(unused_imports)]
use super::*;

/// How a point is kept.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Keep {
    /// A point of a soma contour.
    Contour,
    /// A point of a tree.
    Tree,
    /// Read and dropped (markers, spines, other contours).
    No,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Pt {
    /// x, y, z, diameter (um).
    pub(super) v: [f64; 4],
    /// Some value has more than 8 significant digits.
    pub(super) long: bool,
    pub(super) line: usize,
}

/// A section as Import3d holds it before instantiation.
#[derive(Debug, Clone)]
pub(super) struct RawSec {
    pub(super) kind: i32,
    pub(super) contour: bool,
    /// Own points: `pts[begin..end]`.
    pub(super) begin: usize,
    pub(super) end: usize,
    /// A copy of the parent's last point put first (diameter: the first own point's).
    pub(super) extra: Option<[f64; 3]>,
    pub(super) parent: Option<usize>,
    pub(super) parent_x: f64,
    /// Contours stacked under this one (indices into the sections).
    pub(super) stack: Vec<usize>,
    pub(super) subsidiary: bool,
}

pub(super) struct Parser<'a> {
    pub(super) file: &'a str,
    pub(super) text: &'a str,
    pub(super) lex: Lexer<'a>,
    pub(super) cur: Token,
    pub(super) la: Token,
    pub(super) la2: Token,
    pub(super) max_points: usize,
    pub(super) pts: Vec<Pt>,
    pub(super) secs: Vec<RawSec>,
    pub(super) warnings: Vec<String>,
    pub(super) thin: usize,
    pub(super) spines: usize,
    pub(super) ignored_contours: usize,
    pub(super) first_ignored: Option<(String, usize)>,
    pub(super) marker_points: usize,
}

impl<'a> Parser<'a> {
    pub(super) fn new(text: &'a str, file: &'a str, max_points: usize) -> Self {
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

    pub(super) fn advance(&mut self) {
        self.cur = self.la;
        self.la = self.la2;
        self.la2 = self.lex.next();
    }

    pub(super) fn tok_text(&self, t: &Token) -> &'a str {
        &self.text[t.start..t.end]
    }

    pub(super) fn error(&self, line: usize, message: String) -> MorphError {
        MorphError::new(self.file, Some(line), message)
    }

    pub(super) fn unexpected(&self, t: &Token, expected: &str) -> MorphError {
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

    pub(super) fn chk(&self, kind: Kind, expected: &str) -> Result<(), MorphError> {
        if self.cur.kind == kind { Ok(()) } else { Err(self.unexpected(&self.cur, expected)) }
    }

    pub(super) fn demand(&mut self, kind: Kind, expected: &str) -> Result<(), MorphError> {
        self.advance();
        self.chk(kind, expected)
    }

    pub(super) fn optional_comma(&mut self) {
        if self.cur.kind == Kind::Comma {
            self.advance();
        }
    }

    /// `objects`, with sets holding objects tracked by a depth count.
    pub(super) fn parse_file(&mut self) -> Result<(), MorphError> {
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

    pub(super) fn contour(&mut self) -> Result<(), MorphError> {
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

    pub(super) fn marker_or_property(&mut self, keep: Keep) -> Result<(), MorphError> {
        if self.la2.kind == Kind::LeftPar { self.marker(keep) } else { self.property().map(|_| ()) }
    }

    pub(super) fn marker(&mut self, keep: Keep) -> Result<(), MorphError> {
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
    pub(super) fn skip_marker(&mut self) -> Result<(), MorphError> {
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
    pub(super) fn properties(&mut self) -> Result<i32, MorphError> {
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
    pub(super) fn property(&mut self) -> Result<i32, MorphError> {
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

    pub(super) fn points(&mut self, keep: Keep) -> Result<(), MorphError> {
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
    pub(super) fn point(&mut self) -> Result<[Option<Token>; 4], MorphError> {
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

    pub(super) fn push(&mut self, p: [Option<Token>; 4], keep: Keep) -> Result<(), MorphError> {
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
    pub(super) fn spines(&mut self) -> Result<(), MorphError> {
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
    pub(super) fn tree_or_text(&mut self) -> Result<(), MorphError> {
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
    pub(super) fn tree(&mut self, kind: i32, first_begin: usize) -> Result<(), MorphError> {
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

    pub(super) fn new_section(
        &mut self,
        begin: usize,
        parent: Option<usize>,
        kind: i32,
    ) -> Result<usize, MorphError> {
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
