//! Markers on the tree: synapses (by kind; selected ones larger and white), probes in
//! their trace's colour, current clamps in red. Respawned only when they change.

use super::scene::TreeView;
use super::state::LabRes;
use crate::lab::SynapseKind;
use bevy::prelude::*;

#[derive(Component)]
struct Marker;

#[derive(Resource, Default)]
struct MarkerCache {
    key: Vec<(i64, i64, i64, u32, u8)>,
    sphere: Option<Handle<Mesh>>,
}

fn kind_colour(k: SynapseKind) -> Color {
    match k {
        SynapseKind::AmpaNmda => Color::srgb(1.0, 0.55, 0.1),
        SynapseKind::Ampa => Color::srgb(1.0, 0.9, 0.2),
        SynapseKind::GabaA => Color::srgb(0.3, 0.6, 1.0),
    }
}

fn sync(
    mut commands: Commands,
    lab: Res<LabRes>,
    view: Res<TreeView>,
    mut cache: ResMut<MarkerCache>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    old: Query<Entity, With<Marker>>,
) {
    let lab = &lab.0;
    let morph = &lab.sim.cell.morphology;
    let (_, radius) = crate::lab::geometry::bounds(&lab.sim.cell);
    let size = (radius / 350.0).max(0.8) as f32;
    let mut items: Vec<(Vec3, Color, f32)> = Vec::new();
    for s in &lab.synapses {
        let p = view.to_world(morph.sections[s.section].at(s.x).0);
        let (c, k) = if s.selected { (Color::WHITE, 1.3) } else { (kind_colour(s.kind), 1.0) };
        items.push((p, c, size * k));
    }
    for p in &lab.probes {
        let [r, g, b] = p.color;
        items.push((view.to_world(morph.sections[p.section].at(p.x).0), Color::srgb_u8(r, g, b), size * 1.3));
    }
    for c in &lab.clamps {
        items.push((
            view.to_world(morph.sections[c.section].at(c.x).0),
            Color::srgb(0.9, 0.1, 0.1),
            size * 1.6,
        ));
    }
    let key: Vec<(i64, i64, i64, u32, u8)> = items
        .iter()
        .map(|(p, c, s)| {
            let l = c.to_srgba();
            let code =
                ((l.red * 255.0) as u32) << 16 | ((l.green * 255.0) as u32) << 8 | (l.blue * 255.0) as u32;
            (p.x as i64, p.y as i64, p.z as i64, code, (*s * 10.0) as u8)
        })
        .collect();
    if key == cache.key && !view.is_changed() {
        return;
    }
    cache.key = key;
    for e in &old {
        commands.entity(e).despawn();
    }
    let sphere = cache.sphere.get_or_insert_with(|| meshes.add(Sphere::new(1.0).mesh().uv(12, 8))).clone();
    for (p, c, s) in items {
        let mat = materials.add(StandardMaterial { base_color: c, unlit: true, ..default() });
        commands.spawn((
            Marker,
            Mesh3d(sphere.clone()),
            MeshMaterial3d(mat),
            Transform::from_translation(p).with_scale(Vec3::splat(s)),
            Pickable::IGNORE,
        ));
    }
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<MarkerCache>();
    app.add_systems(Update, sync.after(super::scene::SceneSet));
}
