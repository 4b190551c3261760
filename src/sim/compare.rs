//! Comparing two traces (a Dendra run against NEURON's in `reference/traces/`): per column, the
//! same spikes (upward 0 mV crossings, interpolated) each within 0.2 ms, and every sample
//! of each trace within 1 mV of the other trace somewhere within +-0.25 ms.

/// Tolerances of the comparison.
pub const SPIKE_DT_MS: f64 = 0.2;
pub const TUBE_DT_MS: f64 = 0.25;
pub const TUBE_DV_MV: f64 = 1.0;

/// A CSV of traces: header names and rows of numbers.
#[derive(Debug, Clone)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<f64>>,
}

/// Why a CSV of traces cannot be read (lines counted from 1, blank lines included).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CsvError {
    #[error("empty file")]
    Empty,
    #[error("line {line}: {source}")]
    Number { line: usize, source: std::num::ParseFloatError },
    #[error("line {line}: {values} values for {columns} columns")]
    Width { line: usize, values: usize, columns: usize },
}

/// Parses a CSV of numbers with a header row.
pub fn parse_csv(text: &str) -> Result<Table, CsvError> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let header: Vec<String> =
        lines.next().ok_or(CsvError::Empty)?.1.split(',').map(|h| h.trim().replace(' ', "")).collect();
    let mut rows = Vec::new();
    for (k, l) in lines {
        let line = k + 1;
        let row: Result<Vec<f64>, _> = l.split(',').map(|x| x.trim().parse::<f64>()).collect();
        let row = row.map_err(|source| CsvError::Number { line, source })?;
        if row.len() != header.len() {
            return Err(CsvError::Width { line, values: row.len(), columns: header.len() });
        }
        rows.push(row);
    }
    Ok(Table { header, rows })
}

/// The verdict on one column.
#[derive(Debug, Clone)]
pub struct ColumnVerdict {
    pub name: String,
    pub ref_spikes: usize,
    pub spikes: usize,
    pub max_spike_dt_ms: f64,
    pub tube_dv_mv: f64,
    pub worst_at_ms: f64,
    pub ok: bool,
}

/// Upward crossings of 0 mV, linearly interpolated.
pub fn spikes(t: &[f64], v: &[f64]) -> Vec<f64> {
    (1..v.len())
        .filter(|&i| v[i - 1] < 0.0 && 0.0 <= v[i])
        .map(|i| t[i - 1] + (0.0 - v[i - 1]) * (t[i] - t[i - 1]) / (v[i] - v[i - 1]))
        .collect()
}

/// Largest distance from a sample of `a` to the range of `b` within +-TUBE_DT_MS.
fn tube(t: &[f64], a: &[f64], b: &[f64]) -> (f64, f64) {
    if t.len() < 2 {
        return (0.0, t.first().copied().unwrap_or(0.0));
    }
    let step = t[1] - t[0];
    let k = (TUBE_DT_MS / step).round() as usize;
    let mut worst = (0.0, t[0]);
    for i in 0..a.len() {
        let w = &b[i.saturating_sub(k)..(i + k + 1).min(b.len())];
        let lo = w.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let m = (lo - a[i]).max(a[i] - hi).max(0.0);
        let m = if a[i].is_nan() || lo.is_nan() || hi.is_nan() { f64::INFINITY } else { m };
        if m > worst.0 {
            worst = (m, t[i]);
        }
    }
    worst
}

/// Compares `ours` against the reference. Errors if the columns or times do not line up.
pub fn compare(reference: &Table, ours: &Table) -> Result<Vec<ColumnVerdict>, String> {
    if reference.header[1..] != ours.header[1..] {
        return Err(format!("columns differ: {:?} vs {:?}", reference.header, ours.header));
    }
    let key = |t: f64| (t * 1000.0).round() as i64;
    let index: std::collections::HashMap<i64, usize> =
        ours.rows.iter().enumerate().map(|(i, r)| (key(r[0]), i)).collect();
    let common: Vec<(usize, usize)> = reference
        .rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| index.get(&key(r[0])).map(|&j| (i, j)))
        .collect();
    if (common.len() as f64) < 0.99 * reference.rows.len() as f64 {
        return Err(format!("only {} of {} reference times present", common.len(), reference.rows.len()));
    }
    let t: Vec<f64> = common.iter().map(|&(i, _)| reference.rows[i][0]).collect();
    let mut out = Vec::new();
    for c in 1..reference.header.len() {
        let vr: Vec<f64> = common.iter().map(|&(i, _)| reference.rows[i][c]).collect();
        let vo: Vec<f64> = common.iter().map(|&(_, j)| ours.rows[j][c]).collect();
        let (sr, so) = (spikes(&t, &vr), spikes(&t, &vo));
        let max_dt = sr.iter().zip(&so).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        let (w1, w2) = (tube(&t, &vr, &vo), tube(&t, &vo, &vr));
        let w = if w1.0 >= w2.0 { w1 } else { w2 };
        out.push(ColumnVerdict {
            name: reference.header[c].clone(),
            ref_spikes: sr.len(),
            spikes: so.len(),
            max_spike_dt_ms: max_dt,
            tube_dv_mv: w.0,
            worst_at_ms: w.1,
            ok: sr.len() == so.len() && max_dt <= SPIKE_DT_MS && w.0 <= TUBE_DV_MV,
        });
    }
    Ok(out)
}
