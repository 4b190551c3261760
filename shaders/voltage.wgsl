// Dendra: colours the dendritic tree by a per-vertex value (membrane voltage, NMDA
// current, [Ca2+]i or Mg2+ unblock) through a colour map, with simple head-light shading.
// The value arrives in uv.x and the tube's radius (um) in uv.y (negative on the soma);
// the colour map (up to 12 stops, linear RGB), its range and the thinnest on-screen
// radius (pixels) arrive in the material's uniform. The vertex stage widens tubes that
// would be thinner than that on screen (the soma to 2.4 times it), so thin branches stay
// visible at any zoom, and swells the segments in the top part of the range so that an
// active branch stands out; the fragment stage brightens them (a glow).

#import bevy_pbr::{
    mesh_functions,
    forward_io::{Vertex, VertexOutput},
    view_transformations::position_world_to_clip,
    mesh_view_bindings::view,
}

struct ColourParams {
    // x: value at the low end, y: value at the high end, z: number of stops,
    // w: thinnest on-screen radius (pixels).
    range: vec4<f32>,
    stops: array<vec4<f32>, 12>,
};

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> params: ColourParams;

fn colormap(t: f32) -> vec3<f32> {
    let n = max(i32(params.range.z), 2);
    let s = clamp(t, 0.0, 1.0) * f32(n - 1);
    let i = min(i32(floor(s)), n - 2);
    let f = s - f32(i);
    return mix(params.stops[i].rgb, params.stops[i + 1].rgb, f);
}

// How far into the top of the colour range a value is (0 below 60% of it, 1 at the top).
fn activity(value: f32) -> f32 {
    let t = (value - params.range.x) / max(params.range.y - params.range.x, 1e-6);
    if (value != value) {
        return 0.0;
    }
    return smoothstep(0.6, 1.0, t);
}

@vertex
fn vertex(vertex: Vertex) -> VertexOutput {
    var out: VertexOutput;
    let world_from_local = mesh_functions::get_world_from_local(vertex.instance_index);
    let n = normalize(mesh_functions::mesh_normal_local_to_world(vertex.normal, vertex.instance_index));
    let p = mesh_functions::mesh_position_local_to_world(world_from_local, vec4<f32>(vertex.position, 1.0)).xyz;
    let soma = vertex.uv.y < 0.0;
    let r = abs(vertex.uv.y);
    let axis = p - n * r;
    // World size of one pixel at the axis: 2 d / (viewport height * P[1][1]).
    let d = max(distance(view.world_position.xyz, axis), 1e-3);
    let pixel = 2.0 * d / (max(view.viewport.w, 1.0) * view.clip_from_view[1][1]);
    let least = params.range.w * select(1.0, 2.4, soma);
    let radius = max(r, least * pixel) * (1.0 + 0.8 * activity(vertex.uv.x));
    let world = axis + n * radius;
    out.world_position = vec4<f32>(world, 1.0);
    out.position = position_world_to_clip(world);
    out.world_normal = n;
    out.uv = vertex.uv;
    return out;
}

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    let lo = params.range.x;
    let hi = params.range.y;
    var value = in.uv.x;
    // A value that is not a number shows as magenta, never as a plausible colour.
    if (value != value) {
        return vec4<f32>(1.0, 0.0, 1.0, 1.0);
    }
    let t = (value - lo) / max(hi - lo, 1e-6);
    let base = colormap(t);
    let n = normalize(in.world_normal);
    let to_eye = normalize(view.world_position.xyz - in.world_position.xyz);
    let shade = 0.45 + 0.55 * abs(dot(n, to_eye));
    // Active segments glow: full brightness and a lift toward white.
    let glow = activity(value);
    let lit = base * mix(shade, 1.0, glow);
    return vec4<f32>(mix(lit, vec3<f32>(1.0), 0.25 * glow), 1.0);
}
