//! Shared by the fuzz tests: a seeded random number generator, so that every run tries
//! the same cases.
#![allow(dead_code)] // each test crate uses part of it

/// xorshift64* with a fixed seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in 0..n (0 when n is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    /// Uniform in [0, 1).
    pub fn float(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [-span/2, span/2).
    pub fn coord(&mut self, span: f64) -> f64 {
        (self.float() - 0.5) * span
    }
}

/// The start of a fuzz case's text, for a failure's message.
pub fn preview(text: &str) -> String {
    text.chars().take(2000).collect()
}

/// What a loaded morphology must survive: discretisation (areas and axial conductances
/// finite and not negative, or an error with a message) and the tree's mesh (indices in
/// range), without a panic; `case` and `text` name the fuzz case on failure.
pub fn downstream(m: dendra::sim::morphology::Morphology, case: &str, text: &str) {
    use dendra::sim::cell::{Cell, Nseg, Passive};
    let r = std::panic::catch_unwind(|| {
        let ns = m.sections.len();
        match Cell::new(m, Passive::uniform(ns, 100.0, 1.0), &Nseg::default()) {
            Ok(cell) => {
                assert!(cell.area.iter().all(|a| a.is_finite() && *a >= 0.0), "areas");
                assert!(cell.g_axial.iter().all(|g| g.is_finite() && *g >= 0.0), "axial conductances");
                let mesh = dendra::lab::geometry::TreeMesh::build(&cell, 6, 0.5);
                assert!(mesh.indices.iter().all(|&i| (i as usize) < mesh.positions.len()));
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    });
    if r.is_err() {
        panic!("sections, discretisation or mesh panicked on {case}:\n{}", preview(text));
    }
}
