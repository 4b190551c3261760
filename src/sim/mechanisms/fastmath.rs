//! `exp` and `ln` for the hot loops, inlined: the calcium pools, SK's activation and the
//! Nernst potential need one of each per node and step, and a call into the C library
//! (with its error handling) costs about twice as much as the arithmetic itself.
//!
//! Both are fdlibm's algorithms (the ones `e_exp.c` and `e_log.c` of FreeBSD's and
//! Sun's libm use, with their coefficients), so they are as accurate as the library's:
//! within one unit in the last place (the tests check 2e-16 relative against `f64::exp`
//! and `f64::ln` over the ranges used, far inside the 1e-7 the reference comparisons
//! would allow). Arguments outside the plain range (non-finite, subnormal, overflowing)
//! go to the standard library's functions.

/// e^x, within one ulp.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    // Beyond +-708 the result over- or underflows (or x is not finite): the library
    // handles those.
    if !(x.abs() < 708.0) {
        return exp_slow(x);
    }
    const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
    const INV_LN2: f64 = 1.442_695_040_888_963_387_00;
    const P1: f64 = 1.666_666_666_666_660_190_37e-1;
    const P2: f64 = -2.777_777_777_701_559_338_42e-3;
    const P3: f64 = 6.613_756_321_437_934_361_17e-5;
    const P4: f64 = -1.653_390_220_546_525_153_90e-6;
    const P5: f64 = 4.138_136_797_057_238_460_39e-8;
    // k = round(x / ln 2) with the 1.5 * 2^52 trick (no rounding instruction needed).
    const SHIFTER: f64 = 6_755_399_441_055_744.0;
    let kf = x * INV_LN2 + SHIFTER;
    let k = kf.to_bits() as i32 as i64;
    let kf = kf - SHIFTER;
    // r = x - k ln2 in two parts, |r| <= ln2 / 2.
    let hi = x - kf * LN2_HI;
    let lo = kf * LN2_LO;
    let r = hi - lo;
    let t = r * r;
    let c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
    let y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
    // y * 2^k: |k| <= 1022 here, so 2^k is a normal number.
    y * f64::from_bits(((k + 1023) as u64) << 52)
}

#[cold]
#[inline(never)]
fn exp_slow(x: f64) -> f64 {
    x.exp()
}

/// ln x, within one ulp.
#[inline(always)]
pub fn ln(x: f64) -> f64 {
    // Normal, positive and finite: the exponent field is neither 0 nor all ones.
    let bits = x.to_bits();
    if !(x >= f64::MIN_POSITIVE && x <= f64::MAX) {
        return ln_slow(x);
    }
    const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
    const LG1: f64 = 6.666_666_666_666_735_130e-1;
    const LG2: f64 = 3.999_999_999_940_941_908e-1;
    const LG3: f64 = 2.857_142_874_366_239_149e-1;
    const LG4: f64 = 2.222_219_843_214_978_396e-1;
    const LG5: f64 = 1.818_357_216_161_805_012e-1;
    const LG6: f64 = 1.531_383_769_920_937_332e-1;
    const LG7: f64 = 1.479_819_860_511_658_591e-1;
    // x = 2^k m with m in [sqrt(2)/2, sqrt(2)): take the mantissa to [1, 2), then
    // halve it (and raise k) when it is above sqrt(2), as fdlibm does with the high word.
    let hx = (bits >> 32) as u32;
    let mant_hi = hx & 0x000f_ffff;
    // 0x6a09e is the top of sqrt(2)'s mantissa: i is 0x100000 when m >= sqrt(2).
    let i = (mant_hi + 0x95f64) & 0x0010_0000;
    let k = ((hx >> 20) as i32 - 1023) + (i >> 20) as i32;
    let m = f64::from_bits(((mant_hi | (i ^ 0x3ff0_0000)) as u64) << 32 | (bits & 0xffff_ffff));
    let f = m - 1.0;
    let dk = k as f64;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let r = t2 + t1;
    let hfsq = 0.5 * f * f;
    dk * LN2_HI - ((hfsq - (s * (hfsq + r) + dk * LN2_LO)) - f)
}

#[cold]
#[inline(never)]
fn ln_slow(x: f64) -> f64 {
    x.ln()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::Rng;

    fn rel(a: f64, b: f64) -> f64 {
        if a == b { 0.0 } else { ((a - b) / b).abs() }
    }

    #[test]
    fn exp_matches_the_library_to_the_last_bits() {
        let mut rng = Rng::new(5);
        let mut worst = 0.0f64;
        for k in 0..200_000 {
            // Half over the whole range, half over the rate functions' range.
            let x = if k % 2 == 0 { (rng.uniform() - 0.5) * 1400.0 } else { (rng.uniform() - 0.5) * 60.0 };
            worst = worst.max(rel(exp(x), x.exp()));
        }
        assert!(worst <= 2.3e-16, "{worst:e}");
        for x in [0.0, -0.0, 1.0, -1.0, 1e-300, -1e-300, 707.9, -707.9, 709.7, -745.0, 1000.0, -1000.0] {
            assert!(rel(exp(x), x.exp()) <= 2.3e-16, "{x}");
        }
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert!(exp(f64::NAN).is_nan());
    }

    #[test]
    fn ln_matches_the_library_to_the_last_bits() {
        let mut rng = Rng::new(6);
        let mut worst = 0.0f64;
        for k in 0..200_000 {
            // Calcium concentrations (1e-9..10 mM), ratios around 1, and any magnitude.
            let x = match k % 3 {
                0 => 10f64.powf(-9.0 + 10.0 * rng.uniform()),
                1 => 0.5 + rng.uniform(),
                _ => 2f64.powf((rng.uniform() - 0.5) * 2000.0),
            };
            worst = worst.max(rel(ln(x), x.ln()));
        }
        assert!(worst <= 2.3e-16, "{worst:e}");
        assert_eq!(ln(1.0), 0.0);
        for x in [2.0, 0.5, std::f64::consts::E, 1.0 + 1e-12, 1.0 - 1e-12, f64::MAX, f64::MIN_POSITIVE] {
            assert!(rel(ln(x), x.ln()) <= 2.3e-16 || (ln(x) - x.ln()).abs() < 1e-28, "{x}");
        }
        assert_eq!(ln(0.0), f64::NEG_INFINITY);
        assert!(ln(-1.0).is_nan() && ln(f64::NAN).is_nan());
        assert_eq!(ln(f64::INFINITY), f64::INFINITY);
        assert_eq!(ln(1e-310), 1e-310f64.ln());
    }
}
