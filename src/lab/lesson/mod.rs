//! Lessons: a scene (a cell, its biophysics, synapse groups and probes placed by rule),
//! conditions to run (changes and timed actions), the figures measured on them, and the
//! claims a paper makes about those figures. Data, not code: `assets/lessons/NAME.json`,
//! embedded in the binary. The window, `dendra lesson check` and the tests run the same
//! scene and protocol code ([`run::Run`], [`figures`]).

pub mod figures;
pub mod run;

use crate::lab::error::LabError;
use crate::lab::scene::{ResolvedScene, Scene, SceneError};
use crate::sim::morphology::Morphology;
use figures::{ClaimError, FigureError};
use run::Condition;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The lessons, in teaching order: (name, JSON).
pub const LESSONS: &[(&str, &str)] = &[
    ("perceptron", include_str!("../../../assets/lessons/perceptron.json")),
    ("action-potential", include_str!("../../../assets/lessons/action-potential.json")),
    ("bap", include_str!("../../../assets/lessons/bap.json")),
    ("nmda-spike", include_str!("../../../assets/lessons/nmda-spike.json")),
    ("sequence", include_str!("../../../assets/lessons/sequence.json")),
    ("dcaap-xor", include_str!("../../../assets/lessons/dcaap-xor.json")),
    ("bac-firing", include_str!("../../../assets/lessons/bac-firing.json")),
    ("deep-neuron", include_str!("../../../assets/lessons/deep-neuron.json")),
];

/// Why a lesson could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum LessonError {
    /// No lesson of that name.
    #[error("no lesson called '{name}' (lessons: {})", LESSONS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "))]
    Unknown { name: String },
    /// The lesson file is not valid (names the lesson and serde's line and column).
    #[error("lesson {lesson}: {message}")]
    Format { lesson: String, message: String },
    /// The scene could not be resolved on the cell.
    #[error(transparent)]
    Scene(#[from] SceneError),
    /// A run of a condition failed.
    #[error("condition '{condition}': {source}")]
    Run { condition: String, source: LabError },
    /// A figure could not be computed.
    #[error("figure '{figure}': {source}")]
    Figure { figure: String, source: Box<FigureError> },
    /// A claim could not be judged.
    #[error("claim about '{figure}': {source}")]
    Claim { figure: String, source: ClaimError },
}

/// A claim of the paper about a figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// The claim in words.
    pub claim: String,
    /// The figure it is about.
    pub figure: String,
    /// `>`, `>=`, `<`, `<=`, `==`.
    pub op: String,
    /// A number or a boolean; or, with `than`, a factor.
    #[serde(default)]
    pub value: Option<serde_json::Value>,
    /// Another figure to compare with (times `value`, 1 when absent).
    #[serde(default)]
    pub than: Option<String>,
}

/// A lesson file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    pub name: String,
    pub title: String,
    /// Two or three sentences of story.
    pub story: String,
    /// What to click and what to look for.
    pub steps: Vec<String>,
    /// The paper(s).
    pub reference: String,
    pub scene: Scene,
    pub conditions: Vec<Condition>,
    pub figures: Vec<figures::FigureSpec>,
    pub claims: Vec<Claim>,
    /// How the window shows the result: the lesson's own plots and tables.
    #[serde(default)]
    pub results: Vec<ResultPlot>,
    /// The place the window frames when the lesson opens (the whole cell when absent).
    #[serde(default)]
    pub focus: Option<String>,
    /// The moments the room must see, which the window shows in slow motion as the
    /// lesson plays (besides the events it finds itself), and a picture of the first is
    /// the lesson's key moment (`--moment`).
    #[serde(default)]
    pub moments: Vec<Moment>,
    /// The voltage range the tree's colours span while the lesson is open (mV), when
    /// the default -80..0 would hide its phenomenon (EPSPs of a few mV).
    #[serde(default)]
    pub colour_mv: Option<[f64; 2]>,
}

/// A moment of a condition's run worth seeing slowly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Moment {
    /// The condition whose run it is in.
    pub condition: String,
    /// When (ms after the protocol's start).
    pub at_ms: f64,
    /// What it shows, in words (said while it plays).
    pub label: String,
}

/// One line of a result plot or one row of a result table: a figure with its label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultSeries {
    pub label: String,
    pub figure: String,
}

/// One line of a result plot drawn from a run's trace at a recorded place. Which run:
/// the one `figure` (a measure of one run) was measured on; else the run of condition
/// `run` with the variables `vars`; else, with no variables given, the condition's one
/// run, or the run its first measure figure was measured on (see
/// [`Report::result_traces`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultTrace {
    pub label: String,
    /// The condition.
    pub run: String,
    /// The run's variables, where the condition has several runs.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vars: BTreeMap<String, f64>,
    /// A figure measured on one run of the condition: that run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figure: Option<String>,
    pub place: String,
}

/// A result the window draws after the protocol: curves (figures holding `[x, y]` pairs
/// or `{x: y}` tables), traces of runs, or a table of figures (a truth table, a spike
/// table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultPlot {
    pub title: String,
    #[serde(default)]
    pub x_label: String,
    #[serde(default)]
    pub y_label: String,
    #[serde(default)]
    pub curves: Vec<ResultSeries>,
    #[serde(default)]
    pub traces: Vec<ResultTrace>,
    #[serde(default)]
    pub table: Vec<ResultSeries>,
}

impl Lesson {
    /// The built-in lesson called `name`.
    pub fn builtin(name: &str) -> Result<Lesson, LessonError> {
        let (n, text) = LESSONS
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or(LessonError::Unknown { name: name.to_string() })?;
        Lesson::from_json(text, n)
    }

    /// Parses a lesson; `label` names it in messages. Its result plots must name the
    /// lesson's own figures, conditions and places.
    pub fn from_json(text: &str, label: &str) -> Result<Lesson, LessonError> {
        let lesson: Lesson = serde_json::from_str(text)
            .map_err(|e| LessonError::Format { lesson: label.to_string(), message: e.to_string() })?;
        let bad = |message: String| LessonError::Format { lesson: label.to_string(), message };
        if let Some(f) = &lesson.focus
            && !lesson.scene.places.contains_key(f)
        {
            return Err(bad(format!("focus: no place called '{f}'")));
        }
        if let Some([lo, hi]) = lesson.colour_mv
            && !(lo.is_finite() && hi.is_finite() && lo < hi && lo >= -200.0 && hi <= 200.0)
        {
            return Err(bad(format!("colour_mv: [{lo}, {hi}] is not a range within -200..200 mV")));
        }
        for (i, m) in lesson.moments.iter().enumerate() {
            let Some(c) = lesson.condition(&m.condition) else {
                return Err(bad(format!("moments[{i}]: no condition called '{}'", m.condition)));
            };
            if !(m.at_ms.is_finite() && (0.0..=c.run_ms).contains(&m.at_ms)) {
                return Err(bad(format!(
                    "moments[{i}].at_ms: {} is not within the condition's run (0 to {} ms)",
                    m.at_ms, c.run_ms
                )));
            }
        }
        for (i, r) in lesson.results.iter().enumerate() {
            for s in r.curves.iter().chain(&r.table) {
                if !lesson.figures.iter().any(|f| f.name == s.figure) {
                    return Err(bad(format!(
                        "results[{i}] ('{}'): no figure called '{}'",
                        r.title, s.figure
                    )));
                }
            }
            for tr in &r.traces {
                let cond = tr.run.as_str();
                if lesson.condition(cond).is_none() {
                    return Err(bad(format!("results[{i}] ('{}'): no condition called '{cond}'", r.title)));
                }
                if let Some(f) = &tr.figure {
                    let of = lesson.figures.iter().find(|x| &x.name == f).map(|x| &x.of);
                    match of {
                        Some(figures::Expr::Measure { run, .. } | figures::Expr::LinearFit { run, .. })
                            if run.condition == cond => {}
                        _ => {
                            return Err(bad(format!(
                                "results[{i}] ('{}'): '{f}' is not a figure measured on one run of '{cond}'",
                                r.title
                            )));
                        }
                    }
                }
                if !lesson.scene.probes.contains(&tr.place) {
                    return Err(bad(format!(
                        "results[{i}] ('{}'): '{}' is not a recorded place (probes: {})",
                        r.title,
                        tr.place,
                        lesson.scene.probes.join(", ")
                    )));
                }
            }
        }
        Ok(lesson)
    }

    pub fn condition(&self, name: &str) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.name == name)
    }
}

/// One claim checked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClaimResult {
    pub claim: String,
    pub figure: serde_json::Value,
    pub holds: bool,
}

/// What `dendra lesson check` prints.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub lesson: String,
    pub morphology: String,
    pub claims: Vec<ClaimResult>,
    pub figures: BTreeMap<String, serde_json::Value>,
    /// The traces of every run, by identity.
    pub runs: BTreeMap<run::RunId, run::Traces>,
    /// The run each one-run figure was measured on, in the lesson's order of figures.
    pub measured: Vec<(String, run::RunId)>,
}

impl Report {
    /// The traces a result plot draws, one per series (None where there is no such run
    /// or place). A series' run: the one its `figure` was measured on; else the run of its
    /// condition with its `vars`; else the condition's one run; else the run the
    /// condition's first measure figure was measured on (so that a result shows the runs
    /// its figures were measured on, never another run of a calibration sweep); else, for
    /// a condition only swept, the run with the variables of the plot's first series that
    /// found a single run (so that control and TEA are compared at the same current), or
    /// the sweep's last.
    pub fn result_traces(&self, series: &[ResultTrace]) -> Vec<Option<(&[f64], &[f64])>> {
        let runs_of =
            |cond: &str| -> Vec<&run::RunId> { self.runs.keys().filter(|k| k.condition == cond).collect() };
        // The run a series names outright, if it does.
        let named = |s: &ResultTrace| -> Option<&run::RunId> {
            if let Some(f) = &s.figure {
                return self.measured.iter().find(|(n, _)| n == f).map(|(_, id)| id);
            }
            if !s.vars.is_empty() {
                return self.runs.get_key_value(&run::RunId::new(&s.run, &s.vars)).map(|(k, _)| k);
            }
            let found = runs_of(&s.run);
            if found.len() == 1 {
                return Some(found[0]);
            }
            self.measured.iter().find(|(_, id)| id.condition == s.run).map(|(_, id)| id)
        };
        let anchor = series.iter().find_map(|s| named(s).map(|id| &id.vars));
        series
            .iter()
            .map(|s| {
                let id = match named(s) {
                    Some(id) => id,
                    None if s.figure.is_some() || !s.vars.is_empty() => return None,
                    None => {
                        let found = runs_of(&s.run);
                        let aligned = anchor.and_then(|vars| found.iter().copied().find(|k| &k.vars == vars));
                        aligned.or(found.last().copied())?
                    }
                };
                let (t, v) = self.runs.get(id)?.by_place.get(&s.place)?;
                Some((t.as_slice(), v.as_slice()))
            })
            .collect()
    }
}

impl run::Traces {
    /// The traces as CSV: `t` (ms from the protocol's start), then one column per place.
    pub fn to_csv(&self) -> String {
        let names: Vec<&String> = self.by_place.keys().collect();
        let mut out = String::from("t");
        for n in &names {
            out.push(',');
            out.push_str(n);
        }
        out.push('\n');
        let Some((t, _)) = self.by_place.values().next() else { return out };
        for k in 0..t.len() {
            out.push_str(&format!("{:.4}", t[k]));
            for n in &names {
                let v = self.by_place[*n].1.get(k).copied().unwrap_or(f64::NAN);
                out.push_str(&format!(",{v:.4}"));
            }
            out.push('\n');
        }
        out
    }
}

impl Report {
    pub fn holds(&self) -> bool {
        self.claims.iter().all(|c| c.holds)
    }

    /// One JSON object: `lesson`, `morphology`, `holds`, `claims`, then the figures.
    pub fn to_json(&self) -> serde_json::Value {
        let mut o = serde_json::Map::new();
        o.insert("lesson".into(), self.lesson.clone().into());
        o.insert("morphology".into(), self.morphology.clone().into());
        o.insert("holds".into(), self.holds().into());
        o.insert("claims".into(), serde_json::to_value(&self.claims).unwrap_or_default());
        for (k, v) in &self.figures {
            o.insert(k.clone(), v.clone());
        }
        serde_json::Value::Object(o)
    }
}

/// Runs a lesson headless on its own cell or on `morph`, and checks its claims.
pub fn check(lesson: &Lesson, morph: Option<(Morphology, String)>) -> Result<Report, LessonError> {
    check_built(lesson, ResolvedScene::new(&lesson.scene, morph)?, None)
}

/// As [`check`], on a scene already built on its cell; `progress` hears the number of
/// runs made as each finishes.
pub fn check_built(
    lesson: &Lesson,
    built: ResolvedScene,
    progress: Option<&(dyn Fn(usize) + Sync)>,
) -> Result<Report, LessonError> {
    let figures::Evaluated { figures, runs, measured } = figures::evaluate_with(lesson, &built, progress)?;
    let mut claims = Vec::new();
    for c in &lesson.claims {
        claims.push(figures::judge(c, &figures)?);
    }
    Ok(Report {
        lesson: lesson.name.clone(),
        morphology: built.source.clone(),
        claims,
        figures,
        runs,
        measured,
    })
}

/// What the window plays live after the headless check: each condition once, with the
/// variables of the first figure that measures it (resolved with the figures found), in
/// the lesson's order.
pub fn play_list(
    lesson: &Lesson,
    figures: &BTreeMap<String, serde_json::Value>,
) -> Vec<(String, BTreeMap<String, f64>)> {
    use figures::Expr;
    let number = |name: &str| figures.get(name).and_then(|f| f.as_f64()).ok_or_else(|| name.to_string());
    let mut out: Vec<(String, BTreeMap<String, f64>)> = Vec::new();
    for c in &lesson.conditions {
        let mut vars = BTreeMap::new();
        for f in &lesson.figures {
            let Some((run, varied)) = f.of.run() else { continue };
            if run.condition != c.name {
                continue;
            }
            // The variables the figures give (a figure without a value is left out).
            for (k, v) in &run.vars {
                if let Ok(x) = v.resolve(number) {
                    vars.insert(k.clone(), x);
                }
            }
            // A sweep plays its last value, a threshold search its upper bound.
            let at = match &f.of {
                Expr::Sweep { values, times, .. } => {
                    let scale = times.as_deref().and_then(|t| number(t).ok()).unwrap_or(1.0);
                    Some(values.last().copied().unwrap_or(0.0) * scale)
                }
                Expr::Threshold { hi, .. } => Some(*hi),
                _ => None,
            };
            if let (Some(var), Some(x)) = (varied, at) {
                vars.entry(var.to_string()).or_insert(x);
            }
            if varied.is_none() {
                break;
            }
        }
        out.push((c.name.clone(), vars));
    }
    out
}

#[cfg(test)]
mod result_tests {
    use super::*;

    fn traces(v: f64) -> run::Traces {
        let mut by_place = BTreeMap::new();
        by_place.insert("soma".to_string(), (vec![0.0, 1.0], vec![v, v]));
        run::Traces { by_place, ..Default::default() }
    }

    #[test]
    fn result_traces_pick_single_runs_and_align_sweeps() {
        let id = |c: &str, amp: Option<f64>| {
            run::RunId::new(c, &amp.map(|a| BTreeMap::from([("amp".to_string(), a)])).unwrap_or_default())
        };
        let mut runs = BTreeMap::new();
        runs.insert(id("control", Some(0.1)), traces(1.0));
        runs.insert(id("control", Some(0.3)), traces(3.0));
        runs.insert(id("control", Some(0.5)), traces(5.0));
        runs.insert(id("tea", Some(0.3)), traces(30.0));
        let mut report = Report {
            lesson: "x".into(),
            morphology: "y".into(),
            claims: vec![],
            figures: BTreeMap::new(),
            runs,
            measured: vec![],
        };
        let s = |run: &str, place: &str| ResultTrace {
            label: run.into(),
            run: run.into(),
            vars: BTreeMap::new(),
            figure: None,
            place: place.into(),
        };
        let got = report.result_traces(&[
            s("control", "soma"),
            s("tea", "soma"),
            s("nope", "soma"),
            s("tea", "dend"),
        ]);
        assert_eq!(got[0].unwrap().1[0], 3.0, "control at TEA's current");
        assert_eq!(got[1].unwrap().1[0], 30.0);
        assert!(got[2].is_none() && got[3].is_none());
        // Without a single run to align with: the sweep's last run.
        assert_eq!(report.result_traces(&[s("control", "soma")])[0].unwrap().1[0], 5.0);
        let mut one = s("control", "soma");
        one.vars.insert("amp".into(), 0.1);
        assert_eq!(report.result_traces(&[one])[0].unwrap().1[0], 1.0);
        // A condition measured by a figure shows the run that figure was measured on,
        // not another run of its sweep (bac-firing showed a calibration run's burst).
        report.measured = vec![("spikes_control".into(), id("control", Some(0.1)))];
        assert_eq!(report.result_traces(&[s("control", "soma")])[0].unwrap().1[0], 1.0);
        let mut by_figure = s("control", "soma");
        by_figure.figure = Some("spikes_control".into());
        assert_eq!(report.result_traces(&[by_figure.clone()])[0].unwrap().1[0], 1.0);
        by_figure.figure = Some("no_such_figure".into());
        assert!(report.result_traces(&[by_figure])[0].is_none());
    }
}
