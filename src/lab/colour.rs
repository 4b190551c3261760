//! Colour maps: perceptually uniform (viridis, inferno), colour-blind-safe (cividis) and
//! a diverging blue-red map, as sRGB stops: the window's shader interpolates them (in
//! linear RGB), its colour bar and the clips sample them.

/// Name and sRGB stops of each map.
pub const MAPS: [(&str, &[u32]); 4] = [
    (
        "viridis",
        &[0x440154, 0x482878, 0x3E4A89, 0x31688E, 0x26828E, 0x1F9E89, 0x35B779, 0x6DCD59, 0xB4DE2C, 0xFDE725],
    ),
    (
        "cividis (colour-blind safe)",
        &[0x00224E, 0x123570, 0x3B496C, 0x575D6D, 0x707173, 0x8A8678, 0xA59C74, 0xC3B369, 0xE1CC55, 0xFEE838],
    ),
    (
        "inferno",
        &[0x000004, 0x1B0C41, 0x4A0C6B, 0x781C6D, 0xA52C60, 0xCF4446, 0xED6925, 0xFB9B06, 0xF7D13D, 0xFCFFA4],
    ),
    ("blue-red", &[0x3B4CC0, 0x6788EE, 0x9ABBFF, 0xC9D7F0, 0xEDD1C2, 0xF7A889, 0xE26952, 0xB40426]),
];

/// sRGB bytes of a packed colour.
pub fn rgb(c: u32) -> [u8; 3] {
    [(c >> 16) as u8, (c >> 8) as u8, c as u8]
}

fn to_linear(c: u8) -> f32 {
    let c = c as f32 / 255.0;
    if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
}

/// Linear RGB stops of map `k` (clamped to a valid map).
pub fn linear_stops(k: usize) -> Vec<[f32; 3]> {
    let (_, stops) = MAPS[k.min(MAPS.len() - 1)];
    stops.iter().map(|&c| rgb(c).map(to_linear)).collect()
}

/// sRGB colour of map `k` at `t` in 0..1 (for the colour bar).
pub fn sample(k: usize, t: f32) -> [u8; 3] {
    let (_, stops) = MAPS[k.min(MAPS.len() - 1)];
    let s = t.clamp(0.0, 1.0) * (stops.len() - 1) as f32;
    let i = (s.floor() as usize).min(stops.len() - 2);
    let f = s - i as f32;
    let (a, b) = (rgb(stops[i]), rgb(stops[i + 1]));
    [0, 1, 2].map(|j| (a[j] as f32 + f * (b[j] as f32 - a[j] as f32)).round() as u8)
}
