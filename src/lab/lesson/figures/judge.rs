//! A claim judged on the figures.

#[allow(unused_imports)]
use super::*;

/// Judges a claim on the figures.
pub fn judge(c: &Claim, figures: &BTreeMap<String, Value>) -> Result<ClaimResult, LessonError> {
    let fail = |m: String| LessonError::Figure { figure: c.figure.clone(), message: m };
    let fig = figures.get(&c.figure).ok_or_else(|| fail("no such figure (claim)".into()))?;
    let holds = match (fig, &c.than, &c.value) {
        (Value::Bool(b), None, Some(Value::Bool(want))) if c.op == "==" => b == want,
        (Value::Number(a), than, value) => {
            let a = a.as_f64().unwrap_or(f64::NAN);
            let b = match (than, value) {
                (Some(other), v) => {
                    let o = figures
                        .get(other)
                        .and_then(Value::as_f64)
                        .ok_or_else(|| fail(format!("'{other}' is not a number")))?;
                    o * v.as_ref().and_then(Value::as_f64).unwrap_or(1.0)
                }
                (None, Some(v)) => {
                    v.as_f64().ok_or_else(|| fail("the claim's value is not a number".into()))?
                }
                (None, None) => {
                    return Err(fail("the claim has neither a value nor a figure to compare with".into()));
                }
            };
            match c.op.as_str() {
                ">" => a > b,
                ">=" => a >= b,
                "<" => a < b,
                "<=" => a <= b,
                "==" => a == b,
                op => return Err(fail(format!("unknown comparison '{op}'"))),
            }
        }
        _ => return Err(fail("the claim does not fit the figure's kind".into())),
    };
    Ok(ClaimResult { claim: c.claim.clone(), figure: fig.clone(), holds })
}
