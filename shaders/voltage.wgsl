// Dendra: colours the dendritic tree by a per-vertex value (membrane voltage, NMDA
// current, [Ca2+]i or Mg2+ unblock) through a colour map, with simple head-light shading.
// The value arrives in uv.x; the colour map (up to 12 stops, linear RGB) and its range
// arrive in the material's uniform.

#import bevy_pbr::forward_io::VertexOutput
#import bevy_pbr::mesh_view_bindings::view

struct ColourParams {
    // x: value at the low end, y: value at the high end, z: number of stops, w: unused.
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
    return vec4<f32>(base * shade, 1.0);
}
