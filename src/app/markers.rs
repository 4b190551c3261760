//! Markers on the tree: synapses as balls (by kind; selected ones larger and white),
//! probes as diamonds in their trace's colour, current clamps as red cubes. All markers
//! are drawn as one mesh with per-vertex colours (one GPU allocation however many there
//! are, so 10,000 synapses draw at interactive rates), rebuilt only when they change.

use super::scene::TreeView;
use super::state::LabRes;
use crate::lab::SynapseKind;
use bevy::asset::RenderAssetUsages;
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;

#[derive(Component)]
struct Marker;

/// A marker's shape.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Ball,
    Diamond,
    Cube,
}

#[derive(Resource, Default)]
struct MarkerCache {
    key: Vec<(i64, i64, i64, u32, i64, u8)>,
    entity: Option<Entity>,
    mesh: Option<Handle<Mesh>>,
    /// The markers' size for the drawn cell (um), with the tree's generation it is for:
    /// the cell's bounds are scanned once per cell, not every frame.
    size: Option<(Option<u64>, f32)>,
}

fn kind_colour(k: SynapseKind) -> Color {
    match k {
        SynapseKind::AmpaNmda => Color::srgb(1.0, 0.55, 0.1),
        SynapseKind::Ampa => Color::srgb(1.0, 0.9, 0.2),
        SynapseKind::GabaA => Color::srgb(0.3, 0.6, 1.0),
    }
}

/// Unit shapes: (positions, triangles); normals are the positions' directions.
fn shape(s: Shape) -> (Vec<Vec3>, Vec<u32>) {
    match s {
        Shape::Ball => {
            let (rings, segs) = (6u32, 8u32);
            let mut p = Vec::new();
            for i in 0..=rings {
                let th = std::f32::consts::PI * i as f32 / rings as f32;
                for j in 0..segs {
                    let ph = std::f32::consts::TAU * j as f32 / segs as f32;
                    p.push(Vec3::new(th.sin() * ph.cos(), th.cos(), th.sin() * ph.sin()));
                }
            }
            let mut t = Vec::new();
            for i in 0..rings {
                for j in 0..segs {
                    let (a, b) = (i * segs + j, i * segs + (j + 1) % segs);
                    let (c, d) = (a + segs, b + segs);
                    t.extend_from_slice(&[a, b, c, b, d, c]);
                }
            }
            (p, t)
        }
        Shape::Diamond => {
            let p = vec![Vec3::X, -Vec3::X, Vec3::Y * 1.5, -Vec3::Y * 1.5, Vec3::Z, -Vec3::Z];
            let t = vec![2, 0, 4, 2, 4, 1, 2, 1, 5, 2, 5, 0, 3, 4, 0, 3, 1, 4, 3, 5, 1, 3, 0, 5];
            (p, t)
        }
        Shape::Cube => {
            let p: Vec<Vec3> = (0..8)
                .map(|k| {
                    Vec3::new(
                        if k & 1 == 0 { -0.8 } else { 0.8 },
                        if k & 2 == 0 { -0.8 } else { 0.8 },
                        if k & 4 == 0 { -0.8 } else { 0.8 },
                    )
                })
                .collect();
            let t = vec![
                0, 2, 1, 1, 2, 3, 4, 5, 6, 5, 7, 6, 0, 1, 4, 1, 5, 4, 2, 6, 3, 3, 6, 7, 0, 4, 2, 2, 4, 6, 1,
                3, 5, 3, 7, 5,
            ];
            (p, t)
        }
    }
}

/// One mesh holding every marker.
fn markers_mesh(items: &[(Vec3, Color, f32, Shape)]) -> Mesh {
    let shapes = [Shape::Ball, Shape::Diamond, Shape::Cube].map(|s| (s, shape(s)));
    let mut pos: Vec<[f32; 3]> = Vec::new();
    let mut nrm: Vec<[f32; 3]> = Vec::new();
    let mut col: Vec<[f32; 4]> = Vec::new();
    let mut idx: Vec<u32> = Vec::new();
    for (p, c, s, sh) in items {
        let (_, (v, t)) = shapes.iter().find(|(k, _)| k == sh).expect("every shape is listed");
        let base = pos.len() as u32;
        let lin = c.to_linear().to_f32_array();
        for u in v {
            pos.push((*p + *u * *s).to_array());
            nrm.push(u.normalize_or_zero().to_array());
            col.push(lin);
        }
        idx.extend(t.iter().map(|i| base + i));
    }
    Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::MAIN_WORLD | RenderAssetUsages::RENDER_WORLD,
    )
    .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, pos)
    .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, nrm)
    .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, col)
    .with_inserted_indices(Indices::U32(idx))
}

/// The least size of a marker on screen (pixels across): seen from the back of a hall
/// in presenter mode, and clearly elsewhere.
const MIN_MARKER_PX: f32 = 8.0;
const MIN_MARKER_PX_PRESENTER: f32 = 14.0;

#[allow(clippy::too_many_arguments)]
fn sync(
    mut commands: Commands,
    lab: Res<LabRes>,
    view: Res<TreeView>,
    ui: Res<super::state::UiState>,
    cams: Query<(&super::camera::OrbitCamera, &Projection, &Camera)>,
    mut cache: ResMut<MarkerCache>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let lab = &lab.0;
    let morph = &lab.sim.cell.morphology;
    let size = match cache.size {
        Some((generation, size)) if generation == view.generation => size,
        _ => {
            let (_, radius) = crate::lab::geometry::bounds(&lab.sim.cell);
            let size = (radius / 350.0).max(0.8) as f32;
            cache.size = Some((view.generation, size));
            size
        }
    };
    // Never smaller on screen than MIN_MARKER_PX across, however far the camera: the
    // world size of a pixel at the camera's target, from its distance and field of view.
    let least_px = if ui.presenter { MIN_MARKER_PX_PRESENTER } else { MIN_MARKER_PX };
    let size = match cams.iter().next() {
        Some((orbit, Projection::Perspective(p), cam)) => {
            let h = cam.logical_viewport_size().map_or(800.0, |s| s.y).max(1.0);
            let per_px = 2.0 * orbit.distance * (p.fov / 2.0).tan() / h;
            // (The ball's radius is `size`: half the width.) In steps of 10%, so that a
            // zoom rebuilds the markers now and then, not every frame.
            let want = least_px / 2.0 * per_px;
            if want > size { 1.1f32.powf((want.ln() / 1.1f32.ln()).ceil()) } else { size }
        }
        _ => size,
    };
    let mut items: Vec<(Vec3, Color, f32, Shape)> = Vec::with_capacity(lab.synapses.len() + lab.probes.len());
    for s in &lab.synapses {
        let p = view.to_world(morph.sections[s.section].at(s.x).0);
        let (c, k) = if s.selected { (Color::WHITE, 1.3) } else { (kind_colour(s.kind), 1.0) };
        items.push((p, c, size * k, Shape::Ball));
    }
    for p in &lab.probes {
        let [r, g, b] = p.color;
        let at = view.to_world(morph.sections[p.section].at(p.x).0);
        items.push((at, Color::srgb_u8(r, g, b), size * 1.4, Shape::Diamond));
    }
    for c in &lab.clamps {
        let at = view.to_world(morph.sections[c.section].at(c.x).0);
        items.push((at, Color::srgb(0.9, 0.1, 0.1), size * 1.6, Shape::Cube));
    }
    let key: Vec<(i64, i64, i64, u32, i64, u8)> = items
        .iter()
        .map(|(p, c, s, sh)| {
            let l = c.to_srgba();
            let code =
                ((l.red * 255.0) as u32) << 16 | ((l.green * 255.0) as u32) << 8 | (l.blue * 255.0) as u32;
            (p.x as i64, p.y as i64, p.z as i64, code, (*s * 10.0) as i64, *sh as u8)
        })
        .collect();
    if key == cache.key && !view.is_changed() {
        return;
    }
    cache.key = key;
    if items.is_empty() {
        // Nothing to draw: no empty mesh for the renderer.
        if let Some(e) = cache.entity.take() {
            commands.entity(e).despawn();
        }
        cache.mesh = None;
        return;
    }
    let mesh = markers_mesh(&items);
    match (&cache.mesh, cache.entity) {
        (Some(h), Some(_)) if meshes.get(h).is_some() => {
            if let Some(mut m) = meshes.get_mut(h) {
                *m = mesh;
            }
        }
        _ => {
            if let Some(e) = cache.entity.take() {
                commands.entity(e).despawn();
            }
            let h = meshes.add(mesh);
            let mat = materials.add(StandardMaterial { base_color: Color::WHITE, unlit: true, ..default() });
            let e = commands
                .spawn((
                    Marker,
                    Mesh3d(h.clone()),
                    MeshMaterial3d(mat),
                    Transform::IDENTITY,
                    Pickable::IGNORE,
                ))
                .id();
            cache.entity = Some(e);
            cache.mesh = Some(h);
        }
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<MarkerCache>();
    app.add_systems(Update, sync.in_set(super::LabSet::View));
}
