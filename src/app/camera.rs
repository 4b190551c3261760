//! The camera: orbit (right drag or arrow keys), pan (middle drag, or shift + right drag),
//! zoom (wheel, touchpad, + and -); F frames the cell, G the selected synapses.

use super::scene::TreeView;
use super::state::LabRes;
use bevy::core_pipeline::tonemapping::Tonemapping;
use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll, MouseScrollUnit};
use bevy::prelude::*;
use bevy_egui::input::EguiWantsInput;

/// Room the panels take (the window's logical pixels, egui's zoom applied): the 3-D view
/// gets the rest of the window.
#[derive(Resource, Debug, Default, Clone, Copy)]
pub struct PanelLayout {
    pub left: f32,
    pub bottom: f32,
    /// The lesson's strip on the right in presenter mode (logical pixels; 0 without).
    pub right: f32,
    /// Where the trace plots were drawn (logical pixels), for the layout report.
    pub traces: Option<bevy_egui::egui::Rect>,
    /// The smallest and the body text's size (pixels), for the layout report.
    pub text_px: Option<(f32, f32)>,
}

/// Gives the camera the part of the window the panels leave free, so the cell is
/// centred in what the audience sees.
fn fit_viewport(
    layout: Res<PanelLayout>,
    windows: Query<&Window, With<bevy::window::PrimaryWindow>>,
    mut cams: Query<&mut Camera, With<OrbitCamera>>,
) {
    let Ok(window) = windows.single() else { return };
    let s = window.scale_factor();
    let (w, h) = (window.physical_width(), window.physical_height());
    let left = ((layout.left * s) as u32).min(w.saturating_sub(1));
    let bottom = ((layout.bottom * s) as u32).min(h.saturating_sub(1));
    let right = ((layout.right * s) as u32).min(w.saturating_sub(left + 1));
    let size = UVec2::new(w - left - right, h - bottom);
    if size.x < 8 || size.y < 8 {
        return;
    }
    for mut cam in &mut cams {
        let vp = bevy::camera::Viewport {
            physical_position: UVec2::new(left, 0),
            physical_size: size,
            ..default()
        };
        if cam.viewport.as_ref().map(|v| (v.physical_position, v.physical_size))
            != Some((vp.physical_position, size))
        {
            cam.viewport = Some(vp);
        }
    }
}

/// Orbit parameters: the camera looks at `target` from `distance` at `yaw`/`pitch`.
#[derive(Component, Debug, Clone, Copy)]
pub struct OrbitCamera {
    pub target: Vec3,
    pub yaw: f32,
    pub pitch: f32,
    pub distance: f32,
}

impl OrbitCamera {
    pub fn transform(&self) -> Transform {
        let rot = Quat::from_euler(EulerRot::YXZ, self.yaw, self.pitch, 0.0);
        let eye = self.target + rot * Vec3::new(0.0, 0.0, self.distance);
        Transform::from_translation(eye).looking_at(self.target, Vec3::Y)
    }
}

/// Frames a sphere (world centre, radius).
fn frame(cam: &mut OrbitCamera, centre: Vec3, radius: f32) {
    cam.target = centre;
    cam.distance = (radius * 2.4).max(5.0);
}

/// Frames points of the cell (section, x) with at least `min_radius` um around them.
fn frame_points(
    cam: &mut OrbitCamera,
    lab: &crate::lab::Lab,
    view: &TreeView,
    points: &[(usize, f64)],
    min_radius: f32,
) {
    let sections = &lab.sim.cell.morphology.sections;
    let pts: Vec<Vec3> =
        points.iter().filter_map(|&(s, x)| Some(view.to_world(sections.get(s)?.at(x).0))).collect();
    if pts.is_empty() {
        return;
    }
    let c = pts.iter().copied().sum::<Vec3>() / pts.len() as f32;
    let r = pts.iter().map(|p| p.distance(c)).fold(min_radius, f32::max);
    frame(cam, c, r);
}

/// Vertical field of view of the 3-D camera (radians): Bevy's default.
const FOV_Y: f32 = std::f32::consts::FRAC_PI_4;

/// Frames the whole cell as seen from the camera's current direction, in a viewport of
/// `aspect` (width over height): the cell's extent across and up the screen fills it
/// with a small margin.
pub fn frame_cell(cam: &mut OrbitCamera, lab: &crate::lab::Lab, view: &TreeView, aspect: f32) {
    let rot = Quat::from_euler(EulerRot::YXZ, cam.yaw, cam.pitch, 0.0);
    let axes = [rot * Vec3::X, rot * Vec3::Y, rot * Vec3::Z];
    let mut lo = Vec3::splat(f32::INFINITY);
    let mut hi = Vec3::splat(f32::NEG_INFINITY);
    let sections = &lab.sim.cell.morphology.sections;
    let total: usize = sections.iter().map(|s| s.points.len()).sum();
    // Every point of an ordinary cell; an evenly thinned set of a huge one.
    let step = (total / 200_000).max(1);
    for p in sections.iter().flat_map(|s| s.points.iter()).step_by(step) {
        let w = view.to_world(*p);
        let q = Vec3::new(w.dot(axes[0]), w.dot(axes[1]), w.dot(axes[2]));
        lo = lo.min(q);
        hi = hi.max(q);
    }
    if !(lo.is_finite() && hi.is_finite()) {
        let (c, r) = crate::lab::geometry::bounds(&lab.sim.cell);
        frame(cam, view.to_world(c), r as f32);
        return;
    }
    let mid = (lo + hi) * 0.5;
    let half = (hi - lo) * 0.5;
    cam.target = axes[0] * mid.x + axes[1] * mid.y + axes[2] * mid.z;
    let t = (FOV_Y * 0.5).tan();
    let aspect = if aspect.is_finite() && aspect > 0.05 { aspect } else { 1.0 };
    let fit = (half.y * 1.06 / t).max(half.x * 1.06 / (t * aspect));
    // The near half of the cell is closer than the target: step back by it.
    cam.distance = (fit + half.z).clamp(5.0, 1e5);
}

/// The camera frames the cell by itself until the user moves it: after a new cell, after
/// F, and again whenever the viewport changes size (the panel hidden, presenter mode).
#[derive(Resource, Debug, Default)]
struct AutoFrame {
    on: bool,
    size: Vec2,
}

fn viewport_aspect(cam: &Camera) -> f32 {
    cam.logical_viewport_size().map_or(16.0 / 9.0, |s| s.x / s.y.max(1.0))
}

/// The 3-D camera, and a second camera that draws only egui over the whole window (so
/// that the 3-D camera can keep to the part the panels leave free).
fn spawn_camera(mut commands: Commands) {
    commands.spawn((
        bevy_egui::PrimaryEguiContext,
        Camera2d,
        bevy::camera::visibility::RenderLayers::none(),
        Camera {
            order: 1,
            output_mode: bevy::camera::CameraOutputMode::Write {
                blend_state: Some(bevy::render::render_resource::BlendState::ALPHA_BLENDING),
                clear_color: ClearColorConfig::None,
            },
            clear_color: ClearColorConfig::Custom(Color::NONE),
            ..default()
        },
    ));
    let orbit = OrbitCamera { target: Vec3::ZERO, yaw: 0.0, pitch: -0.1, distance: 1500.0 };
    commands.spawn((
        Camera3d::default(),
        Projection::Perspective(PerspectiveProjection { near: 0.5, far: 1e6, ..default() }),
        Tonemapping::None,
        Msaa::Off,
        orbit.transform(),
        orbit,
    ));
}

/// Frames the cell whenever a new one is drawn, and keeps it framed while the viewport
/// settles (until the user moves the camera).
fn frame_new_cell(
    lab: Res<LabRes>,
    view: Res<TreeView>,
    mut ui: ResMut<super::state::UiState>,
    mut auto: ResMut<AutoFrame>,
    mut cams: Query<(&mut OrbitCamera, &Camera)>,
) {
    if view.is_changed() {
        let pending = ui.pending_camera.take();
        let focus = ui.pending_focus.take();
        auto.on = pending.is_none() && focus.is_none();
        for (mut cam, c) in &mut cams {
            match (&pending, &focus) {
                (Some(p), _) => {
                    *cam = OrbitCamera {
                        target: Vec3::from_array(p.target),
                        yaw: p.yaw,
                        pitch: p.pitch,
                        distance: p.distance,
                    }
                }
                (None, Some(points)) => frame_points(&mut cam, &lab.0, &view, points, 200.0),
                (None, None) => frame_cell(&mut cam, &lab.0, &view, viewport_aspect(c)),
            }
        }
    }
    for (mut cam, c) in &mut cams {
        let size = c.logical_viewport_size().unwrap_or_default();
        if auto.on && size != auto.size {
            frame_cell(&mut cam, &lab.0, &view, viewport_aspect(c));
        }
        auto.size = size;
    }
}

#[allow(clippy::too_many_arguments)]
fn controls(
    mouse: Res<ButtonInput<MouseButton>>,
    keys: Res<ButtonInput<KeyCode>>,
    motion: Res<AccumulatedMouseMotion>,
    scroll: Res<AccumulatedMouseScroll>,
    egui: Option<Res<EguiWantsInput>>,
    lab: Res<LabRes>,
    view: Res<TreeView>,
    time: Res<Time>,
    mut pinch: MessageReader<bevy::input::gestures::PinchGesture>,
    mut auto: ResMut<AutoFrame>,
    mut cams: Query<(&mut OrbitCamera, &mut Transform, &Camera)>,
) {
    // Touchpad pinch: positive spreads the fingers, which zooms in.
    let pinched: f32 = pinch.read().map(|p| p.0).filter(|d| d.is_finite()).sum();
    let pointer_free = egui.as_ref().is_none_or(|e| !e.wants_any_pointer_input());
    let keys_free = egui.as_ref().is_none_or(|e| !e.wants_any_keyboard_input());
    let shift = keys.pressed(KeyCode::ShiftLeft) || keys.pressed(KeyCode::ShiftRight);
    let ctrl = keys.pressed(KeyCode::ControlLeft) || keys.pressed(KeyCode::ControlRight);
    let dt = time.delta_secs().min(0.1);
    for (mut cam, mut tf, camera) in &mut cams {
        let before = *cam;
        if pointer_free {
            let d = motion.delta;
            let right = mouse.pressed(MouseButton::Right);
            let pan = mouse.pressed(MouseButton::Middle) || (right && shift);
            if pan {
                let rot = Quat::from_euler(EulerRot::YXZ, cam.yaw, cam.pitch, 0.0);
                let k = cam.distance * 0.0015;
                cam.target += rot * Vec3::new(-d.x * k, d.y * k, 0.0);
            } else if right {
                cam.yaw -= d.x * 0.005;
                cam.pitch = (cam.pitch - d.y * 0.005).clamp(-1.55, 1.55);
            }
            let lines = match scroll.unit {
                MouseScrollUnit::Line => scroll.delta.y,
                MouseScrollUnit::Pixel => scroll.delta.y / 40.0,
            };
            if lines != 0.0 && lines.is_finite() {
                cam.distance = (cam.distance * (-lines * 0.12).exp()).clamp(1.0, 1e5);
            }
            if pinched != 0.0 {
                cam.distance = (cam.distance * (-pinched * 2.0).exp()).clamp(1.0, 1e5);
            }
        }
        if keys_free && !ctrl {
            let turn = 1.5 * dt;
            if shift {
                // Shift+arrows pan: half the view's size a second.
                let rot = Quat::from_euler(EulerRot::YXZ, cam.yaw, cam.pitch, 0.0);
                let step = cam.distance * 0.5 * dt;
                let mut d = Vec3::ZERO;
                if keys.pressed(KeyCode::ArrowLeft) {
                    d.x -= step;
                }
                if keys.pressed(KeyCode::ArrowRight) {
                    d.x += step;
                }
                if keys.pressed(KeyCode::ArrowUp) {
                    d.y += step;
                }
                if keys.pressed(KeyCode::ArrowDown) {
                    d.y -= step;
                }
                cam.target += rot * d;
            } else {
                if keys.pressed(KeyCode::ArrowLeft) {
                    cam.yaw += turn;
                }
                if keys.pressed(KeyCode::ArrowRight) {
                    cam.yaw -= turn;
                }
                if keys.pressed(KeyCode::ArrowUp) {
                    cam.pitch = (cam.pitch + turn).min(1.55);
                }
                if keys.pressed(KeyCode::ArrowDown) {
                    cam.pitch = (cam.pitch - turn).max(-1.55);
                }
            }
            if keys.pressed(KeyCode::Equal) || keys.pressed(KeyCode::NumpadAdd) {
                cam.distance = (cam.distance * (1.0 - dt)).max(1.0);
            }
            if keys.pressed(KeyCode::Minus) || keys.pressed(KeyCode::NumpadSubtract) {
                cam.distance = (cam.distance * (1.0 + dt)).min(1e5);
            }
            if keys.just_pressed(KeyCode::KeyF) {
                frame_cell(&mut cam, &lab.0, &view, viewport_aspect(camera));
                auto.on = true;
                *tf = cam.transform();
                continue;
            }
            if keys.just_pressed(KeyCode::KeyG) {
                let points: Vec<(usize, f64)> =
                    lab.0.synapses.iter().filter(|s| s.selected).map(|s| (s.section, s.x)).collect();
                frame_points(&mut cam, &lab.0, &view, &points, 20.0);
            }
        }
        let c = &*cam;
        if (c.target, c.yaw, c.pitch, c.distance)
            != (before.target, before.yaw, before.pitch, before.distance)
        {
            // The user moved the view: it stays where they put it.
            auto.on = false;
        }
        *tf = cam.transform();
    }
}

pub(super) fn plugin(app: &mut App) {
    if let Some(mut s) = app.world_mut().get_resource_mut::<bevy_egui::EguiGlobalSettings>() {
        s.auto_create_primary_context = false;
    }
    app.init_resource::<PanelLayout>();
    app.init_resource::<AutoFrame>();
    app.add_systems(Startup, spawn_camera);
    app.add_systems(PostUpdate, fit_viewport);
    app.add_systems(Update, (frame_new_cell, controls).chain().in_set(super::LabSet::View));
}
