//! A claim judged on the figures.

#[allow(unused_imports)]
use super::*;

/// Judges a claim on the figures.
pub fn judge(c: &Claim, figures: &BTreeMap<String, Value>) -> Result<ClaimResult, LessonError> {
    let fail = |source: ClaimError| LessonError::Claim { figure: c.figure.clone(), source };
    let fig = figures.get(&c.figure).ok_or_else(|| fail(ClaimError::NoFigure))?;
    let holds = match (fig, &c.than, &c.value) {
        (Value::Bool(b), None, Some(Value::Bool(want))) if c.op == "==" => b == want,
        (Value::Number(a), than, value) => {
            let a = a.as_f64().unwrap_or(f64::NAN);
            let b = match (than, value) {
                (Some(other), v) => {
                    let o = figures
                        .get(other)
                        .and_then(Value::as_f64)
                        .ok_or_else(|| fail(ClaimError::NotANumber(other.clone())))?;
                    o * v.as_ref().and_then(Value::as_f64).unwrap_or(1.0)
                }
                (None, Some(v)) => v.as_f64().ok_or_else(|| fail(ClaimError::Value))?,
                (None, None) => {
                    return Err(fail(ClaimError::Nothing));
                }
            };
            match c.op.as_str() {
                ">" => a > b,
                ">=" => a >= b,
                "<" => a < b,
                "<=" => a <= b,
                "==" => a == b,
                op => return Err(fail(ClaimError::Op(op.to_string()))),
            }
        }
        _ => return Err(fail(ClaimError::Kind)),
    };
    Ok(ClaimResult { claim: c.claim.clone(), figure: fig.clone(), holds })
}
