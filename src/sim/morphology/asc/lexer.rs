//! The ASC lexer: tokens (parentheses, numbers as glibc's scanf reads them, labels,
//! strings, comments) with their lines.

#[allow(unused_imports)]
use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
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
pub(super) struct Token {
    pub(super) kind: Kind,
    /// The number's value (numbers only).
    pub(super) value: f64,
    /// More than 8 significant digits: NEURON's `%.8g` changes the value.
    pub(super) long: bool,
    /// Byte range of the token in the text (strings with their quotes).
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) line: usize,
}

pub(super) struct Lexer<'a> {
    pub(super) text: &'a str,
    pub(super) pos: usize,
    pub(super) line: usize,
    pub(super) line_end: usize,
    /// The line end-of-file errors name, once known.
    pub(super) eof_line: Option<usize>,
}

pub(super) fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c)
}

pub(super) fn is_label_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Where the line starting at `from` ends: at `\n`, `\r` or the end of the text.
pub(super) fn line_end(b: &[u8], from: usize) -> usize {
    b[from..].iter().position(|&c| c == b'\n' || c == b'\r').map_or(b.len(), |k| from + k)
}

/// Where the next line starts after the line end at `end` (`\r\n` is one line end).
pub(super) fn next_line(b: &[u8], end: usize) -> usize {
    if b[end] == b'\r' && b.get(end + 1) == Some(&b'\n') { end + 2 } else { end + 1 }
}

impl<'a> Lexer<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Lexer { text, pos: 0, line: 1, line_end: line_end(text.as_bytes(), 0), eof_line: None }
    }

    /// The line an end-of-file error names: the last line (a final line end does not
    /// open another one).
    pub(super) fn last_line(&self) -> usize {
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

    pub(super) fn next(&mut self) -> Token {
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
pub(super) fn scan_number(s: &[u8]) -> Option<(f64, usize, bool)> {
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
pub(super) fn quote(tok: &str) -> String {
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
