//! The app's logic under Bevy's MinimalPlugins, without a window: the fixed-step system
//! advances simulated time at the set speed; a click's location maps to the right
//! compartment; firing depolarises it; switching a channel changes the engine.
#![cfg(feature = "app")]

use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use dendra::app::{LabRes, Tool, UiState, apply_tool_at, headless_plugin};
use dendra::lab::Lab;
use dendra::lab::geometry::nearest_location;
use dendra::lab::pharmacology::Drug;
use std::time::Duration;

fn app_with(lab: Lab) -> App {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins);
    app.insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(100)));
    app.insert_resource(LabRes(lab));
    app.add_plugins(headless_plugin);
    app
}

#[test]
fn the_fixed_step_system_advances_time_at_the_set_speed() {
    let mut lab = Lab::builtin("ball_and_stick").unwrap();
    lab.speed = 40.0; // simulated ms per wall second
    let mut app = app_with(lab);
    app.update(); // the first frame has no elapsed time
    let t0 = app.world().resource::<LabRes>().0.t();
    for _ in 0..10 {
        app.update(); // each frame: 100 ms of wall time
    }
    let t1 = app.world().resource::<LabRes>().0.t();
    assert!(((t1 - t0) - 40.0).abs() < 0.1, "advanced {} ms, expected 40", t1 - t0);
    // Pausing stops the clock.
    app.world_mut().resource_mut::<LabRes>().0.paused = true;
    app.update();
    assert_eq!(app.world().resource::<LabRes>().0.t(), t1);
}

#[test]
fn a_click_places_a_synapse_on_the_compartment_under_it_and_firing_depolarises_it() {
    let lab = Lab::builtin("y_branch").unwrap();
    let mut app = app_with(lab);
    app.update();
    let (sec, x, node) = {
        let lab = &app.world().resource::<LabRes>().0;
        let sec = lab.sim.cell.morphology.sections.len() - 1; // a daughter branch
        // The point a picking hit reports: on the branch's surface at x = 0.75.
        let (p, d) = lab.sim.cell.morphology.sections[sec].at(0.75);
        let hit = p + nalgebra::Vector3::new(0.0, 0.0, d / 2.0);
        let loc = nearest_location(&lab.sim.cell, hit).unwrap();
        assert_eq!(loc.section, sec);
        assert!((loc.x - 0.75).abs() < 1e-6);
        (loc.section, loc.x, lab.sim.cell.compartment_at(sec, 0.75))
    };
    app.world_mut().resource_scope(|world, mut lab: Mut<LabRes>| {
        let mut ui = world.resource_mut::<UiState>();
        ui.tool = Tool::Synapse;
        ui.syn_weight_ns = 3.0;
        apply_tool_at(&mut lab.0, &mut ui, sec, x, false);
    });
    let rest = {
        let lab = &app.world().resource::<LabRes>().0;
        assert_eq!(lab.synapses.len(), 1);
        assert_eq!(lab.sim.synapses.node(lab.synapses[0].fast).unwrap(), node);
        lab.sim.v[node as usize]
    };
    app.world_mut().resource_mut::<LabRes>().0.fire(dendra::lab::FirePattern::Single);
    let mut peak = f64::MIN;
    for _ in 0..20 {
        app.update();
        peak = peak.max(app.world().resource::<LabRes>().0.sim.v[node as usize]);
    }
    assert!(peak > rest + 3.0, "rest {rest} peak {peak}");
}

#[test]
fn switching_a_channel_changes_the_engine() {
    let mut app = app_with(Lab::builtin("ball_and_stick").unwrap());
    app.update();
    let mut lab = app.world_mut().resource_mut::<LabRes>();
    let slot = lab.0.sim.mechs.iter().position(|m| m.label == "soma" && m.mech.name() == "hh").unwrap();
    assert!(lab.0.sim.mechs[slot].mech.param("gnabar", 0).unwrap() > 0.0);
    lab.0.set_drug(Drug::Ttx, "soma", true);
    assert_eq!(lab.0.sim.mechs[slot].mech.param("gnabar", 0), Some(0.0));
    lab.0.set_drug(Drug::Ttx, "soma", false);
    assert_eq!(lab.0.sim.mechs[slot].mech.param("gnabar", 0), Some(0.12));
}

#[test]
fn a_bad_file_shows_its_error_and_the_current_cell_stays() {
    let mut app = app_with(Lab::builtin("ball_and_stick").unwrap());
    app.update();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    app.world_mut().resource_scope(|world, mut lab: Mut<LabRes>| {
        let mut ui = world.resource_mut::<UiState>();
        let generation = ui.generation;
        dendra::app::open_swc(
            &repo.join("tests/data/morphologies/malformed_missing_parent_treem.swc"),
            &mut lab,
            &mut ui,
        );
        assert!(ui.error, "{}", ui.status);
        assert!(ui.status.contains("malformed_missing_parent_treem.swc:3:"), "{}", ui.status);
        assert_eq!(lab.0.source, "builtin:ball_and_stick");
        assert_eq!(ui.generation, generation);
        dendra::app::open_swc(&repo.join("morphologies/no_such_file.swc"), &mut lab, &mut ui);
        assert!(ui.error && lab.0.source == "builtin:ball_and_stick");
        // A good file replaces the cell and asks the scene to rebuild.
        dendra::app::open_swc(&repo.join("morphologies/ca1_pyr_rat_c91662.swc"), &mut lab, &mut ui);
        assert!(!ui.error, "{}", ui.status);
        assert_eq!(ui.generation, generation + 1);
        assert_eq!(lab.0.sim.cell.compartment_count(), 1108);
    });
    // And the new cell runs.
    for _ in 0..5 {
        app.update();
    }
    assert!(app.world().resource::<LabRes>().0.t() > 0.0);
}

/// A million-point cell opens off the UI thread: frames go on (the current cell keeps
/// running) while it loads, a progress line shows, and the new cell replaces the old.
#[test]
fn a_huge_file_loads_while_frames_continue() {
    use dendra::app::{LoadJob, Loader};
    let dir = std::env::temp_dir().join(format!("dendra-huge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("chain_1m.swc");
    let mut text = String::with_capacity(40 << 20);
    text.push_str("1 1 0 0 0 10 -1\n");
    for i in 2..=1_000_000u32 {
        // A chain folded back and forth (half a micrometre a step), radius 1 um.
        let k = (i % 4000) as f64;
        let y = if k < 2000.0 { k * 0.5 } else { (4000.0 - k) * 0.5 };
        let (x, z) = ((i as f64 * 0.01).sin() * 50.0, i as f64 * 0.001);
        text.push_str(&format!("{i} 3 {x:.3} {y:.3} {z:.3} 1 {}\n", i - 1));
    }
    std::fs::write(&path, text).unwrap();
    let mut app = app_with(Lab::builtin("ball_and_stick").unwrap());
    app.update();
    app.world_mut().resource_scope(|world, mut loader: Mut<Loader>| {
        let mut ui = world.resource_mut::<UiState>();
        loader.start(LoadJob::Morphology(path.clone()), &mut ui);
    });
    let t0 = std::time::Instant::now();
    let mut frames = 0;
    let mut slowest = Duration::ZERO;
    let mut saw_progress = false;
    while app.world().resource::<Loader>().busy() {
        let f0 = std::time::Instant::now();
        app.update();
        slowest = slowest.max(f0.elapsed());
        frames += 1;
        saw_progress |= app.world().resource::<UiState>().status.starts_with("opening ");
        assert!(t0.elapsed() < Duration::from_secs(300), "still loading after 300 s");
        std::thread::sleep(Duration::from_millis(5));
    }
    let load_s = t0.elapsed().as_secs_f64();
    let ui = app.world().resource::<UiState>();
    eprintln!("1M points: loaded in {load_s:.1} s over {frames} frames, slowest frame {slowest:?}");
    assert!(!ui.error, "{}", ui.status);
    assert!(saw_progress);
    assert!(frames >= 10, "{frames} frames in {load_s:.1} s");
    // A frame steps the old cell for at most ~12 ms and never waits for the loader.
    assert!(slowest < Duration::from_millis(250), "a frame took {slowest:?} while loading");
    let lab = &app.world().resource::<LabRes>().0;
    assert!(lab.source.ends_with("chain_1m.swc"), "{}", lab.source);
    std::fs::remove_dir_all(&dir).ok();
}
