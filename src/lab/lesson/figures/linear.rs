//! A linear model of a voltage from a run's inputs (Beniaguev et al.'s baseline): each
//! group's spikes through a sum of causal exponential filters, fitted by least squares.

#[allow(unused_imports)]
use super::*;

/// A linear model fitted by [`fit_linear`].
#[derive(Debug, Clone, PartialEq)]
pub struct LinearModel {
    /// The constant, then for each input channel one weight per time constant.
    pub weights: Vec<f64>,
    /// The model's output at every bin.
    pub prediction: Vec<f64>,
    /// The output it was fitted to.
    pub actual: Vec<f64>,
    /// R^2 on the bins it was fitted on, and on the bins left out.
    pub r2_train: f64,
    pub r2_test: f64,
}

/// Fits `y[t] = c + sum over channels k and time constants j of w[k][j] * f[k][j][t]`,
/// where `f[k][j]` is channel `k` (`inputs[k][t]`, counts per bin) filtered by a causal
/// exponential of `taus[j]` bins (`f[t] = f[t-1] exp(-1/tau) + x[t]`), so that each
/// channel's temporal filter is a sum of exponentials (a difference of two is a PSP's
/// shape). Least squares (SVD) on the bins before `train_bins`; R^2 on those and on the
/// rest (`1 - SS_res / SS_tot` around that part's own mean).
pub fn fit_linear(
    inputs: &[Vec<f64>],
    y: &[f64],
    taus: &[f64],
    train_bins: usize,
) -> Result<LinearModel, FitError> {
    let n = y.len();
    if inputs.iter().any(|x| x.len() != n) {
        return Err(FitError::Lengths);
    }
    if taus.is_empty() || taus.iter().any(|t| !(t.is_finite() && *t > 0.0)) {
        return Err(FitError::Taus(taus.to_vec()));
    }
    let p = 1 + inputs.len() * taus.len();
    if train_bins < 2 * p || n < train_bins + 10 {
        return Err(FitError::TooFew { bins: n, weights: p, train: train_bins });
    }
    // The regressors, column by column (bins x weights).
    let mut x = nalgebra::DMatrix::<f64>::zeros(n, p);
    x.column_mut(0).fill(1.0);
    for (k, input) in inputs.iter().enumerate() {
        for (j, &tau) in taus.iter().enumerate() {
            let decay = (-1.0 / tau).exp();
            let mut f = 0.0;
            let mut col = x.column_mut(1 + k * taus.len() + j);
            for t in 0..n {
                f = f * decay + input[t];
                col[t] = f;
            }
        }
    }
    // Columns scaled to unit spread on the fitted part, for a well-conditioned solve.
    let mut scale = vec![1.0; p];
    for (c, sc) in scale.iter_mut().enumerate().skip(1) {
        let col = x.column(c);
        let part = col.rows(0, train_bins);
        let mean = part.sum() / train_bins as f64;
        let var = part.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / train_bins as f64;
        *sc = if var > 0.0 { var.sqrt() } else { 1.0 };
    }
    let mut a = x.rows(0, train_bins).clone_owned();
    for (c, sc) in scale.iter().enumerate() {
        a.column_mut(c).unscale_mut(*sc);
    }
    let b = nalgebra::DVector::from_column_slice(&y[..train_bins]);
    let w = a.svd(true, true).solve(&b, 1e-10).map_err(FitError::Solve)?;
    let weights: Vec<f64> = w.iter().zip(&scale).map(|(w, s)| w / s).collect();
    let prediction: Vec<f64> = (0..n).map(|t| (0..p).map(|c| x[(t, c)] * weights[c]).sum()).collect();
    let r2 = |range: std::ops::Range<usize>| {
        let m = range.len() as f64;
        let mean = y[range.clone()].iter().sum::<f64>() / m;
        let tot: f64 = y[range.clone()].iter().map(|v| (v - mean) * (v - mean)).sum();
        let res: f64 = range.map(|t| (y[t] - prediction[t]).powi(2)).sum();
        if tot > 0.0 { 1.0 - res / tot } else { f64::NAN }
    };
    Ok(LinearModel {
        r2_train: r2(0..train_bins),
        r2_test: r2(train_bins..n),
        weights,
        prediction,
        actual: y.to_vec(),
    })
}
