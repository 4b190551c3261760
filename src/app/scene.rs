//! The cell in 3D: the tree as tapered tubes coloured per compartment through the WGSL
//! shader `shaders/voltage.wgsl` (embedded in the binary), rebuilt when the cell changes
//! and recoloured every frame.

use super::colour;
use super::state::{LabRes, UiState};
use crate::lab::geometry::TreeMesh;
use bevy::asset::RenderAssetUsages;
use bevy::asset::io::embedded::EmbeddedAssetRegistry;
use bevy::mesh::{Indices, PrimitiveTopology, VertexAttributeValues};
use bevy::prelude::*;
use bevy::render::render_resource::{AsBindGroup, ShaderType};
use bevy::shader::ShaderRef;
use std::path::{Path, PathBuf};

const SHADER_PATH: &str = "embedded://dendra/voltage.wgsl";
const MAX_STOPS: usize = 12;

/// The colour map and range, as the shader reads them.
#[derive(Clone, Debug, ShaderType)]
pub struct ColourParams {
    /// min, max, number of stops, smallest drawn radius in pixels.
    pub range: Vec4,
    pub stops: [Vec4; MAX_STOPS],
}

/// The tree's material.
#[derive(Asset, TypePath, AsBindGroup, Clone, Debug)]
pub struct VoltageMaterial {
    #[uniform(0)]
    pub params: ColourParams,
}

impl Material for VoltageMaterial {
    fn vertex_shader() -> ShaderRef {
        SHADER_PATH.into()
    }
    fn fragment_shader() -> ShaderRef {
        SHADER_PATH.into()
    }
}

/// Thinnest on-screen radius of a branch (pixels): thin dendrites stay visible at any
/// zoom, and more so in presenter mode.
fn min_px(ui: &UiState) -> f32 {
    if ui.presenter { 2.5 } else { 1.2 }
}

impl ColourParams {
    pub fn new(map: usize, min: f64, max: f64, min_px: f32) -> Self {
        let stops = colour::linear_stops(map);
        let mut s = [Vec4::ZERO; MAX_STOPS];
        for (k, c) in stops.iter().take(MAX_STOPS).enumerate() {
            s[k] = Vec4::new(c[0], c[1], c[2], 1.0);
        }
        ColourParams {
            range: Vec4::new(min as f32, max as f32, stops.len().min(MAX_STOPS) as f32, min_px),
            stops: s,
        }
    }
}

/// The drawn tree: its entity, mesh, material and the node of each vertex.
#[derive(Resource, Default)]
pub struct TreeView {
    pub entity: Option<Entity>,
    pub mesh: Handle<Mesh>,
    pub material: Handle<VoltageMaterial>,
    pub vertex_node: Vec<u32>,
    pub generation: Option<u64>,
    /// Cell coordinates (um) to world coordinates.
    pub transform: Transform,
}

impl TreeView {
    /// World position of a point of the cell (um).
    pub fn to_world(&self, p: nalgebra::Point3<f64>) -> Vec3 {
        self.transform.transform_point(Vec3::new(p.x as f32, p.y as f32, p.z as f32))
    }
    /// Cell position (um) of a world point.
    pub fn to_cell(&self, w: Vec3) -> nalgebra::Point3<f64> {
        let q = self.transform.compute_affine().inverse().transform_point3(w);
        nalgebra::Point3::new(q.x as f64, q.y as f64, q.z as f64)
    }
}

/// Marks the tree entity (the picking target).
#[derive(Component)]
pub struct Tree;

fn build_mesh(tm: &TreeMesh) -> Mesh {
    // uv.y: the radius, negative on the soma (the shader gives it a larger least size).
    let uv: Vec<[f32; 2]> = tm
        .radius
        .iter()
        .enumerate()
        .map(|(k, &r)| [0.0, if tm.soma_vertices.contains(&k) { -r } else { r }])
        .collect();
    Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::MAIN_WORLD | RenderAssetUsages::RENDER_WORLD,
    )
    .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, tm.positions.clone())
    .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, tm.normals.clone())
    .with_inserted_attribute(Mesh::ATTRIBUTE_UV_0, uv)
    .with_inserted_indices(Indices::U32(tm.indices.clone()))
}

/// The tubes of `cell` as the lab draws them (any thread).
/// (Re)builds the tree when the lab's cell changed, with the mesh the loading thread
/// prepared when there is one.
fn rebuild(
    mut commands: Commands,
    lab: Res<LabRes>,
    ui: Res<UiState>,
    mut view: ResMut<TreeView>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<VoltageMaterial>>,
    mut prepared: ResMut<super::state::PreparedMesh>,
) {
    if view.generation == Some(ui.generation) {
        return;
    }
    if let Some(e) = view.entity.take() {
        commands.entity(e).despawn();
    }
    let cell = &lab.0.sim.cell;
    let tm = match prepared.0.take() {
        Some((generation, tm)) if generation == ui.generation => tm,
        _ => TreeMesh::for_display(cell),
    };
    let mesh = meshes.add(build_mesh(&tm));
    let material = materials
        .add(VoltageMaterial { params: ColourParams::new(ui.colormap, ui.range.0, ui.range.1, min_px(&ui)) });
    let transform = Transform::from_rotation(upright(cell));
    let e = commands.spawn((Tree, Mesh3d(mesh.clone()), MeshMaterial3d(material.clone()), transform)).id();
    view.transform = transform;
    view.entity = Some(e);
    view.mesh = mesh;
    view.material = material;
    view.vertex_node = tm.node;
    view.generation = Some(ui.generation);
}

/// Writes this frame's values into the mesh and the colour settings into the material.
/// What the tree was last coloured with: the values per node and the colour settings.
#[derive(Default)]
struct Applied {
    values: Vec<f32>,
    previous: Vec<f32>,
    generation: Option<u64>,
    colour: Option<(usize, f64, f64, f32)>,
}

/// Writes this frame's values into the mesh and the colour settings into the material,
/// touching (and so re-uploading) each only when it changed: a paused lab costs nothing.
fn recolour(
    lab: Res<LabRes>,
    ui: Res<UiState>,
    view: Res<TreeView>,
    mut applied: Local<Applied>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<VoltageMaterial>>,
) {
    let a = &mut *applied;
    // A recorded moment (scrubbed, replayed, in slow motion), or the live present.
    let difference =
        ui.difference_from.and_then(|k| lab.0.difference_from_trial(k, ui.playhead.at, &mut a.values));
    let recorded = difference.map(|_| ui.quantity).or_else(|| {
        ui.playhead.at.and_then(|t| lab.0.node_values_in(ui.playhead.trial, ui.quantity, t, &mut a.values))
    });
    if recorded.is_none() {
        lab.0.node_values(ui.quantity, &mut a.values);
    }
    let new_tree = a.generation != view.generation;
    let mut coloured = !new_tree;
    if (new_tree || a.values != a.previous)
        && let Some(mut mesh) = meshes.get_mut(&view.mesh)
        && let Some(VertexAttributeValues::Float32x2(uv)) = mesh.attribute_mut(Mesh::ATTRIBUTE_UV_0)
    {
        for (k, n) in view.vertex_node.iter().enumerate() {
            if let (Some(slot), Some(v)) = (uv.get_mut(k), a.values.get(*n as usize)) {
                slot[0] = *v;
            }
        }
        std::mem::swap(&mut a.values, &mut a.previous);
        coloured = true;
    }
    let colour = (ui.colormap, ui.range.0, ui.range.1, min_px(&ui));
    if (new_tree || a.colour != Some(colour))
        && let Some(mut m) = materials.get_mut(&view.material)
    {
        m.params = ColourParams::new(colour.0, colour.1, colour.2, colour.3);
        a.colour = Some(colour);
    }
    if coloured {
        a.generation = view.generation;
    }
}

fn setup_background(mut commands: Commands) {
    commands.insert_resource(ClearColor(Color::srgb(0.2, 0.21, 0.24)));
}

/// Presenter mode draws the tree on black, where the colours carry to the back row.
fn background(ui: Res<UiState>, mut clear: ResMut<ClearColor>) {
    let want = if ui.presenter { Color::BLACK } else { Color::srgb(0.2, 0.21, 0.24) };
    if clear.0 != want {
        clear.0 = want;
    }
}

/// The rotation that stands the cell upright ([`crate::lab::geometry::upright`]), as
/// Bevy's.
pub fn upright(cell: &crate::sim::cell::Cell) -> Quat {
    let q = crate::lab::geometry::upright(cell);
    Quat::from_xyzw(q.i as f32, q.j as f32, q.k as f32, q.w as f32)
}

pub(super) fn plugin(app: &mut App) {
    // The shader travels inside the binary: `dendra` runs from anywhere.
    app.world_mut().resource_mut::<EmbeddedAssetRegistry>().insert_asset(
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/shaders/voltage.wgsl")),
        Path::new("dendra/voltage.wgsl"),
        include_bytes!("../../shaders/voltage.wgsl").as_slice(),
    );
    app.add_plugins(MaterialPlugin::<VoltageMaterial>::default());
    app.init_resource::<TreeView>();
    app.add_systems(Startup, setup_background);
    app.add_systems(Update, background.run_if(resource_exists::<ClearColor>));
    app.add_systems(Update, (rebuild, recolour).chain().in_set(super::LabSet::Scene));
}
