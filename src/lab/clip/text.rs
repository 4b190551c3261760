//! Text and the colour bar in a clip's frames: egui's own monospace font (Hack) drawn
//! with ab_glyph, white on a dark band so that it reads on any colour.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};

/// An RGB picture being drawn on.
pub struct Canvas<'a> {
    pub rgb: &'a mut [u8],
    pub width: u32,
    pub height: u32,
}

impl Canvas<'_> {
    fn blend(&mut self, x: i64, y: i64, c: [u8; 3], a: f32) {
        if x < 0 || y < 0 || x >= self.width as i64 || y >= self.height as i64 || a <= 0.0 {
            return;
        }
        let k = ((y * self.width as i64 + x) * 3) as usize;
        let a = a.min(1.0);
        for j in 0..3 {
            self.rgb[k + j] = (self.rgb[k + j] as f32 * (1.0 - a) + c[j] as f32 * a).round() as u8;
        }
    }

    /// A filled rectangle, `alpha` opaque.
    pub fn rect(&mut self, x: i64, y: i64, w: i64, h: i64, c: [u8; 3], alpha: f32) {
        for py in y..y + h {
            for px in x..x + w {
                self.blend(px, py, c, alpha);
            }
        }
    }

    /// `text` with its top left at (x, y), `px` tall; returns its width (px).
    pub fn text(&mut self, x: f32, y: f32, px: f32, text: &str, c: [u8; 3]) -> f32 {
        let Ok(font) = FontRef::try_from_slice(epaint_default_fonts::HACK_REGULAR) else { return 0.0 };
        let scaled = font.as_scaled(PxScale::from(px));
        let mut caret = x;
        for ch in text.chars() {
            let mut g = scaled.scaled_glyph(ch);
            g.position = ab_glyph::point(caret, y + scaled.ascent());
            caret += scaled.h_advance(g.id);
            if let Some(o) = font.outline_glyph(g) {
                let b = o.px_bounds();
                o.draw(|gx, gy, a| self.blend(b.min.x as i64 + gx as i64, b.min.y as i64 + gy as i64, c, a));
            }
        }
        caret - x
    }

    /// The width `text` would take at `px` (px).
    pub fn text_width(px: f32, text: &str) -> f32 {
        let Ok(font) = FontRef::try_from_slice(epaint_default_fonts::HACK_REGULAR) else { return 0.0 };
        let scaled = font.as_scaled(PxScale::from(px));
        text.chars().map(|c| scaled.h_advance(scaled.glyph_id(c))).sum()
    }
}
