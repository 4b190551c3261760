//! Vector versions of the hot loops, for processors with AVX2 (found at run time;
//! `DENDRA_SIMD=0` turns them off). Each computes exactly what the plain loop beside it
//! computes: the same operations in the same order, lane by lane, and no fused
//! multiply-add, so the results are identical bit for bit (the tests compare them).
//!
//! The loops over contiguous node ranges (the current phase, the voltage update) need no
//! code here: they are the plain loops compiled a second time with AVX2 enabled. The
//! gating updates read each node's rate-table row at a data-dependent place, which the
//! compiler does not vectorise; [`gates`] does it by hand, four nodes at a time: four row
//! loads, the interpolation a + f d per row, a 4 x 4 transpose into one vector per
//! quantity, and the cnexp step x += xfac (xinf - x) on four nodes at once.

use super::log_table::{BITS, LogTable};
use super::rate_table::{POINTS, Rows};

/// Whether the hot loops run their AVX2 versions: when the processor has AVX2 (found
/// at run time, once) and the environment variable `DENDRA_SIMD` is not `0`.
#[inline]
pub fn avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *ON.get_or_init(|| {
            std::is_x86_feature_detected!("avx2") && std::env::var_os("DENDRA_SIMD").is_none_or(|v| v != "0")
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Last grid row an interpolation may start from.
const LAST: u32 = (POINTS - 1) as u32;

/// The gating update of up to three gates from rows of `W` values laid out as
/// [x_inf, x_fac, y_inf, y_fac, z_inf, z_fac, ..] (`W` = 4 for one or two gates, 8 for
/// three): for every position j whose row `k[j]` is on the grid, in groups of four,
/// `gate[g][j] += fac * (inf - gate[g][j])` with inf and fac interpolated at `f[j]`; `G`
/// is the number of gates (1 to 3). Stops at the first group of four that has a row off
/// the grid or that the slices cannot fill, and returns how many positions it updated
/// (a multiple of 4): the caller does the next few the plain way and calls again.
///
/// # Safety
/// The processor must have AVX2; `gates` holds `G` slices at least as long as `k` and
/// `f`, which have the same length.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub unsafe fn gates<const W: usize, const G: usize>(
    rows: Rows<'_, W>,
    k: &[u32],
    f: &[f64],
    gates: [&mut [f64]; G],
) -> usize {
    use std::arch::x86_64::*;
    const { assert!((W == 4 && G <= 2 && G >= 1) || (W == 8 && G == 3)) };
    let len = k.len();
    assert!(f.len() == len && gates.iter().all(|g| g.len() >= len));
    let base = rows.as_ptr();
    let ptrs: [*mut f64; G] = gates.map(|g| g.as_mut_ptr());
    let mut j = 0;
    while j + 4 <= len {
        let (k0, k1, k2, k3) = (k[j], k[j + 1], k[j + 2], k[j + 3]);
        if !(k0 < LAST && k1 < LAST && k2 < LAST && k3 < LAST) {
            break;
        }
        // SAFETY: each k < LAST < POINTS = the number of rows; a row is W values then
        // their W differences, 64-byte aligned; j + 4 <= len bounds every slice access.
        unsafe {
            let row = |k: u32| base.add(k as usize);
            let fv = _mm256_loadu_pd(f.as_ptr().add(j));
            let fb = [
                _mm256_permute4x64_pd::<0x00>(fv),
                _mm256_permute4x64_pd::<0x55>(fv),
                _mm256_permute4x64_pd::<0xaa>(fv),
                _mm256_permute4x64_pd::<0xff>(fv),
            ];
            // r[i] = a + f d for the first four values of node i's row: [xi xf yi yf].
            let r: [__m256d; 4] = std::array::from_fn(|i| {
                let p = row([k0, k1, k2, k3][i]) as *const f64;
                _mm256_add_pd(_mm256_load_pd(p), _mm256_mul_pd(fb[i], _mm256_load_pd(p.add(W))))
            });
            // Transpose: t0 = [xi0 xi1 yi0 yi1], t1 = [xf0 xf1 yf0 yf1], t2, t3 for 2, 3.
            let t0 = _mm256_unpacklo_pd(r[0], r[1]);
            let t1 = _mm256_unpackhi_pd(r[0], r[1]);
            let t2 = _mm256_unpacklo_pd(r[2], r[3]);
            let t3 = _mm256_unpackhi_pd(r[2], r[3]);
            let step = |x: *mut f64, inf: __m256d, fac: __m256d| {
                let xv = _mm256_loadu_pd(x);
                _mm256_storeu_pd(x, _mm256_add_pd(xv, _mm256_mul_pd(fac, _mm256_sub_pd(inf, xv))));
            };
            step(
                ptrs[0].add(j),
                _mm256_permute2f128_pd::<0x20>(t0, t2),
                _mm256_permute2f128_pd::<0x20>(t1, t3),
            );
            if G >= 2 {
                step(
                    ptrs[1].add(j),
                    _mm256_permute2f128_pd::<0x31>(t0, t2),
                    _mm256_permute2f128_pd::<0x31>(t1, t3),
                );
            }
            if G == 3 {
                // Values 4 and 5 of each row: [zi zf].
                let z: [__m128d; 4] = std::array::from_fn(|i| {
                    let p = row([k0, k1, k2, k3][i]) as *const f64;
                    let fi = _mm256_castpd256_pd128(fb[i]);
                    _mm_add_pd(_mm_load_pd(p.add(4)), _mm_mul_pd(fi, _mm_load_pd(p.add(W + 4))))
                });
                let z01 = _mm256_set_m128d(z[1], z[0]); // [zi0 zf0 zi1 zf1]
                let z23 = _mm256_set_m128d(z[3], z[2]);
                // unpacklo: [zi0 zi2 zi1 zi3], unpackhi: [zf0 zf2 zf1 zf3]; then order.
                let zi = _mm256_permute4x64_pd::<0xd8>(_mm256_unpacklo_pd(z01, z23));
                let zf = _mm256_permute4x64_pd::<0xd8>(_mm256_unpackhi_pd(z01, z23));
                step(ptrs[2].add(j), zi, zf);
            }
        }
        j += 4;
    }
    j
}

/// [`LogTable::get`] of four values at once, or `None` when any of them is off the grid
/// (the caller then looks them up one by one).
///
/// # Safety
/// The processor must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
pub unsafe fn log_lookup(
    table: &LogTable,
    x: std::arch::x86_64::__m256d,
) -> Option<std::arch::x86_64::__m256d> {
    use std::arch::x86_64::*;
    let (base, n, rows) = table.raw();
    let bits = _mm256_castpd_si256(x);
    // k = (bits >> (52 - BITS)) - base, as in the plain lookup; k < n as unsigned
    // numbers is a signed comparison with the sign bits flipped.
    let k =
        _mm256_sub_epi64(_mm256_srli_epi64::<{ 52 - BITS as i32 }>(bits), _mm256_set1_epi64x(base as i64));
    let flip = _mm256_set1_epi64x(i64::MIN);
    let inside = _mm256_cmpgt_epi64(_mm256_set1_epi64x(n as i64 ^ i64::MIN), _mm256_xor_si256(k, flip));
    if _mm256_movemask_pd(_mm256_castsi256_pd(inside)) != 0xf {
        return None;
    }
    let mut idx = [0u64; 4];
    // SAFETY: an unaligned store of four 64-bit lanes into a four-element array.
    unsafe { _mm256_storeu_si256(idx.as_mut_ptr() as *mut __m256i, k) };
    // t: the mantissa bits below the bucket's, as a number in [0, 1).
    let mant = _mm256_and_si256(
        _mm256_slli_epi64::<{ BITS as i32 }>(bits),
        _mm256_set1_epi64x(0x000f_ffff_ffff_ffff),
    );
    let one = _mm256_set1_pd(1.0);
    let t = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(mant, _mm256_castpd_si256(one))), one);
    // SAFETY: every index is below n, the number of rows, each four aligned values.
    let c: [__m256d; 4] =
        std::array::from_fn(|i| unsafe { _mm256_load_pd(rows.add(idx[i] as usize) as *const f64) });
    let t0 = _mm256_unpacklo_pd(c[0], c[1]); // [c0 c0' c2 c2'] of nodes 0, 1
    let t1 = _mm256_unpackhi_pd(c[0], c[1]); // [c1 c1' c3 c3']
    let t2 = _mm256_unpacklo_pd(c[2], c[3]);
    let t3 = _mm256_unpackhi_pd(c[2], c[3]);
    let c0 = _mm256_permute2f128_pd::<0x20>(t0, t2);
    let c2 = _mm256_permute2f128_pd::<0x31>(t0, t2);
    let c1 = _mm256_permute2f128_pd::<0x20>(t1, t3);
    let c3 = _mm256_permute2f128_pd::<0x31>(t1, t3);
    // c0 + t (c1 + t (c2 + t c3)), as the plain lookup.
    let h = _mm256_add_pd(c2, _mm256_mul_pd(t, c3));
    let h = _mm256_add_pd(c1, _mm256_mul_pd(t, h));
    Some(_mm256_add_pd(c0, _mm256_mul_pd(t, h)))
}

#[cfg(test)]
mod tests {
    use super::super::rate_table::{OFF_GRID, RateTable, Rows, locate};
    use crate::sim::rng::Rng;

    /// The plain update of position j (off the grid: left alone here).
    fn plain<const W: usize>(rows: Rows<'_, W>, k: u32, f: f64, gates: &mut [&mut [f64]], j: usize) {
        if let Some(r) = rows.row(k) {
            for (g, x) in gates.iter_mut().enumerate() {
                let (inf, fac) = (r.at(2 * g, f), r.at(2 * g + 1, f));
                x[j] += fac * (inf - x[j]);
            }
        }
    }

    fn check<const W: usize, const G: usize>(seed: u64) {
        let mut table = RateTable::<f64, W>::new();
        table.ensure(0.025, |v| {
            std::array::from_fn(|i| {
                let s = 1.0 / (1.0 + (-(v + 10.0 * i as f64) / 7.0).exp());
                if i % 2 == 0 { s } else { 1.0 - (-0.025 / (1.0 + 5.0 * s)).exp() }
            })
        });
        let rows = table.rows().unwrap();
        let mut rng = Rng::new(seed);
        for len in [0usize, 1, 3, 4, 5, 8, 13, 64, 203] {
            let v: Vec<f64> = (0..len)
                .map(|_| if rng.uniform() < 0.05 { 150.0 } else { -100.0 + 200.0 * rng.uniform() })
                .collect();
            let (k, f): (Vec<u32>, Vec<f64>) =
                v.iter().map(|&x| locate(x).unwrap_or((OFF_GRID, 0.0))).unzip();
            let init: Vec<Vec<f64>> = (0..G).map(|_| (0..len).map(|_| rng.uniform()).collect()).collect();
            let mut want = init.clone();
            {
                let mut g: Vec<&mut [f64]> = want.iter_mut().map(|x| &mut x[..]).collect();
                for j in 0..len {
                    plain(rows, k[j], f[j], &mut g, j);
                }
            }
            let mut got = init.clone();
            let mut j = 0;
            while j < len {
                let mut it = got.iter_mut();
                let g: [&mut [f64]; G] = std::array::from_fn(|_| &mut it.next().unwrap()[j..]);
                // SAFETY: checked for AVX2 by the caller; the slices have len - j elements.
                j += unsafe { super::gates::<W, G>(rows, &k[j..], &f[j..], g) };
                let end = (j + 4).min(len);
                let mut g: Vec<&mut [f64]> = got.iter_mut().map(|x| &mut x[..]).collect();
                for jj in j..end {
                    plain(rows, k[jj], f[jj], &mut g, jj);
                }
                j = end;
            }
            for (a, b) in want.iter().zip(&got) {
                for (x, y) in a.iter().zip(b) {
                    assert_eq!(x.to_bits(), y.to_bits(), "len {len}: {x} vs {y}");
                }
            }
        }
    }

    #[test]
    fn the_vector_log_lookup_equals_the_plain_one_bit_for_bit() {
        if !super::avx2() {
            return;
        }
        use std::arch::x86_64::{_mm256_loadu_pd, _mm256_storeu_pd};
        let t = super::super::log_table::ln_table();
        let mut rng = Rng::new(9);
        let mut off = 0;
        for _ in 0..20_000 {
            let x: [f64; 4] = std::array::from_fn(|_| {
                if rng.uniform() < 0.01 { -1.0 } else { 10f64.powf(-12.0 + 14.0 * rng.uniform()) }
            });
            // SAFETY: AVX2 checked above; loads and stores of four-element arrays.
            let got = unsafe { super::log_lookup(t, _mm256_loadu_pd(x.as_ptr())) };
            match got {
                Some(v) => {
                    let mut y = [0.0; 4];
                    unsafe { _mm256_storeu_pd(y.as_mut_ptr(), v) };
                    for i in 0..4 {
                        assert_eq!(y[i].to_bits(), t.get(x[i]).to_bits(), "{}", x[i]);
                    }
                }
                None => {
                    off += 1;
                    assert!(x.iter().any(|&v| !(v >= 2f64.powi(-40) && v < 2f64.powi(10))));
                }
            }
        }
        assert!(off > 0);
    }

    #[test]
    fn the_vector_gates_equal_the_plain_loop_bit_for_bit() {
        if !super::avx2() {
            eprintln!("no AVX2 here (or DENDRA_SIMD=0): nothing to compare");
            return;
        }
        check::<4, 1>(1);
        check::<4, 2>(2);
        check::<8, 3>(3);
    }
}
