//! Clips: `dendra --lesson bap --clip F.gif` renders the bAP off the recording, without a
//! window: a valid GIF with the frame count it states, in which the bAP climbs the apical
//! trunk (the lower trunk brightens before the upper trunk), and bad requests are clear.

use std::path::PathBuf;
use std::process::Command;

fn dendra() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dendra"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("dendra-clips-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

/// Decodes a GIF into RGB frames.
fn frames(path: &PathBuf) -> (u32, u32, Vec<Vec<u8>>) {
    let mut opts = gif::DecodeOptions::new();
    opts.set_color_output(gif::ColorOutput::RGBA);
    let mut d = opts.read_info(std::fs::File::open(path).unwrap()).unwrap();
    let (w, h) = (d.width() as u32, d.height() as u32);
    let mut out = Vec::new();
    while let Some(f) = d.read_next_frame().unwrap() {
        assert_eq!((f.width as u32, f.height as u32), (w, h), "whole frames");
        out.push(f.buffer.chunks(4).flat_map(|p| [p[0], p[1], p[2]]).collect());
    }
    (w, h, out)
}

#[test]
fn a_bap_clip_climbs_the_apical_trunk_frame_by_frame() {
    let out = tmp("bap.gif");
    let o = dendra()
        .args(["--lesson", "bap", "--clip"])
        .arg(&out)
        .args(["--from", "0", "--to", "8", "--slow", "250", "--fps", "20", "--size", "240x320"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{said}");
    // 8 ms at 250x slower, 20 frames a second: a frame every 0.2 ms, 41 frames.
    assert!(said.contains("(41 frames, 240x320"), "{said}");
    let (w, h, f) = frames(&out);
    assert_eq!((w, h, f.len()), (240, 320, 41));
    // The trunk runs up the middle column; the brightness of its lower, middle and upper
    // stretches (below the text band, above the colour bar) peaks in that order.
    let brightness = |frame: &Vec<u8>, y0: u32, y1: u32| -> f64 {
        let mut s = 0.0;
        for y in y0..y1 {
            for x in w / 2 - 6..w / 2 + 6 {
                let k = ((y * w + x) * 3) as usize;
                s += frame[k] as f64 + frame[k + 1] as f64 + frame[k + 2] as f64;
            }
        }
        s
    };
    let peak_frame = |y0: u32, y1: u32| -> usize {
        (0..f.len()).max_by(|&a, &b| brightness(&f[a], y0, y1).total_cmp(&brightness(&f[b], y0, y1))).unwrap()
    };
    let (low, mid, high) = (peak_frame(200, 240), peak_frame(150, 190), peak_frame(100, 140));
    assert!(low < mid && mid <= high, "peaks at frames {low}, {mid}, {high}");
    // The frames differ: the first (rest) and the lower trunk's peak.
    assert!(brightness(&f[low], 200, 240) > 1.3 * brightness(&f[0], 200, 240));
}

#[test]
fn clip_requests_that_cannot_be_made_are_said() {
    let cases: &[(&[&str], &str)] = &[
        (&["--lesson", "bap", "--clip", "CLIP.mp4"], "needs a video encoder"),
        (&["--lesson", "bap", "--clip", "CLIP.gif", "--condition", "nope"], "has no condition 'nope'"),
        (
            &["--lesson", "bap", "--clip", "CLIP.gif", "--from", "5", "--to", "2"],
            "--to minus --from (ms) must be positive",
        ),
        (&["--lesson", "bap", "--clip", "CLIP.gif", "--to", "1000", "--slow", "1000"], "too many for a clip"),
        (&["--clip", "CLIP.gif"], "needs --lesson NAME or --setup FILE"),
    ];
    for (args, want) in cases {
        let path = tmp("bad.gif");
        let args: Vec<String> = args
            .iter()
            .map(|a| a.replace("CLIP.gif", path.to_str().unwrap()).replace("CLIP.mp4", "x.mp4"))
            .collect();
        let o = dendra().args(&args).output().unwrap();
        let said = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?}");
        assert!(said.contains(want), "{args:?}: {said}");
        assert!(!path.exists(), "{args:?} left a file");
    }
}
