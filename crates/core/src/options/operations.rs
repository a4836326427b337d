//! Parsers for the values of the operation options (`extract`, `trim`, `extend`,
//! `sharpen`, `blur`, `flatten`, `negate`, `normalise`, `modulate`, `composite`), which are objects or arrays
//! rather than single values. Messages name the nested key, in sharp's style:
//! `Expected integer between 0 and 100000000 for extend.top but received -1 of type number`.
//! Unknown nested keys are refused, like unknown options.

use std::path::PathBuf;
use std::sync::Arc;

use super::colour::parse_colour;
use super::refused;
use crate::error::Failure;
use crate::ops::{
    Blend, Blur, Extend, Layer, LayerInput, Modulate, Negate, Normalise, Placement, Region,
    Sharpen, SharpenParams, Trim, BLENDS,
};
use crate::raster::Rgba;
use crate::resample::{Position, POSITIONS};
use crate::validate::{boolean, integer_in_range, invalid, one_of, quoted_list, Received};

/// The largest offset or padding accepted, as in sharp.
const MAX_OFFSET: u64 = 100_000_000;
/// The most overlays of one `composite`.
pub const MAX_LAYERS: usize = 64;

/// The entries of an object value, every key among `allowed`.
fn entries<'a>(
    key: &str,
    value: &'a Received,
    expected: &str,
    allowed: &[&str],
) -> Result<&'a [(String, Received)], Failure> {
    let Received::Object(entries) = value else {
        return Err(invalid(key, expected, value, false));
    };
    if let Some((unknown, _)) = entries.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
        let shown: String = unknown.chars().take(64).collect();
        return Err(refused(format!(
            "Unknown key '{shown}' in {key}; expected one of {}",
            quoted_list(allowed)
        )));
    }
    Ok(entries)
}

/// The value of `name` in `entries`, `None` when absent or `undefined`.
fn get<'a>(entries: &'a [(String, Received)], name: &str) -> Option<&'a Received> {
    entries
        .iter()
        .find(|(k, v)| k == name && *v != Received::Undefined)
        .map(|(_, v)| v)
}

/// A number `min <= n <= max`.
fn number_in(key: &str, value: &Received, min: f64, max: f64) -> Result<f64, Failure> {
    match *value {
        Received::Number(n) if n.is_finite() && n >= min && n <= max => Ok(n),
        _ => Err(invalid(
            key,
            &format!(
                "number between {} and {}",
                crate::validate::format_number(min),
                crate::validate::format_number(max)
            ),
            value,
            matches!(value, Received::Number(_)),
        )),
    }
}

/// `extract: { left, top, width, height }`, all required.
pub fn extract(key: &str, value: &Received) -> Result<Region, Failure> {
    let expected = "object { left, top, width, height } of integers";
    let e = entries(key, value, expected, &["left", "top", "width", "height"])?;
    let int = |name: &str, min: u64| -> Result<u32, Failure> {
        let k = format!("{key}.{name}");
        let v = get(e, name).unwrap_or(&Received::Undefined);
        Ok(integer_in_range(&k, v, min, MAX_OFFSET)? as u32)
    };
    Ok(Region {
        left: int("left", 0)?,
        top: int("top", 0)?,
        width: int("width", 1)?,
        height: int("height", 1)?,
    })
}

/// `trim: true | { background?, threshold?, lineArt?, margin? }`.
pub fn trim(key: &str, value: &Received) -> Result<Option<Trim>, Failure> {
    if let Received::Bool(b) = value {
        return Ok(b.then(Trim::default));
    }
    let expected = "boolean or object { background?, threshold?, lineArt?, margin? }";
    let e = entries(
        key,
        value,
        expected,
        &["background", "threshold", "lineArt", "margin"],
    )?;
    let mut t = Trim::default();
    if let Some(v) = get(e, "background") {
        t.background = Some(parse_colour(&format!("{key}.background"), v)?);
    }
    if let Some(v) = get(e, "threshold") {
        t.threshold = number_in(&format!("{key}.threshold"), v, 0.0, 255.0)?;
    }
    if let Some(v) = get(e, "lineArt") {
        t.line_art = boolean(&format!("{key}.lineArt"), v)?;
    }
    if let Some(v) = get(e, "margin") {
        t.margin = integer_in_range(&format!("{key}.margin"), v, 0, 10_000_000)? as u32;
    }
    Ok(Some(t))
}

/// `extend: n | { top?, bottom?, left?, right?, background? }` (background default black).
pub fn extend(key: &str, value: &Received) -> Result<Extend, Failure> {
    if let Received::Number(_) = value {
        let n = integer_in_range(key, value, 1, MAX_OFFSET)? as u32;
        return Ok(Extend {
            top: n,
            bottom: n,
            left: n,
            right: n,
            background: [0, 0, 0, 255],
        });
    }
    let expected = "integer or object { top?, bottom?, left?, right?, background? }";
    let e = entries(
        key,
        value,
        expected,
        &["top", "bottom", "left", "right", "background"],
    )?;
    let side = |name: &str| -> Result<u32, Failure> {
        get(e, name).map_or(Ok(0), |v| {
            Ok(integer_in_range(&format!("{key}.{name}"), v, 0, MAX_OFFSET)? as u32)
        })
    };
    let background: Rgba = match get(e, "background") {
        Some(v) => parse_colour(&format!("{key}.background"), v)?,
        None => [0, 0, 0, 255],
    };
    Ok(Extend {
        top: side("top")?,
        bottom: side("bottom")?,
        left: side("left")?,
        right: side("right")?,
        background,
    })
}

/// `sharpen: true | { sigma, m1?, m2?, x1?, y2?, y3? }`, with sharp's ranges.
pub fn sharpen(key: &str, value: &Received) -> Result<Option<Sharpen>, Failure> {
    if let Received::Bool(b) = value {
        return Ok(b.then_some(Sharpen::Mild));
    }
    let expected = "boolean or object { sigma, m1?, m2?, x1?, y2?, y3? }";
    let e = entries(
        key,
        value,
        expected,
        &["sigma", "m1", "m2", "x1", "y2", "y3"],
    )?;
    let sigma = get(e, "sigma").unwrap_or(&Received::Undefined);
    let mut p =
        SharpenParams::with_sigma(number_in(&format!("{key}.sigma"), sigma, 0.000_001, 10.0)?);
    for (name, slot) in [
        ("m1", &mut p.m1),
        ("m2", &mut p.m2),
        ("x1", &mut p.x1),
        ("y2", &mut p.y2),
        ("y3", &mut p.y3),
    ] {
        if let Some(v) = get(e, name) {
            *slot = number_in(&format!("{key}.{name}"), v, 0.0, 1_000_000.0)?;
        }
    }
    Ok(Some(Sharpen::Lab(p)))
}

/// `blur: true | sigma` (0.3..=1000).
pub fn blur(key: &str, value: &Received) -> Result<Option<Blur>, Failure> {
    match value {
        Received::Bool(b) => Ok(b.then_some(Blur::Mild)),
        Received::Number(_) => Ok(Some(Blur::Gaussian(number_in(key, value, 0.3, 1000.0)?))),
        _ => Err(invalid(
            key,
            "boolean or number between 0.3 and 1000 (sigma)",
            value,
            false,
        )),
    }
}

/// `flatten: true | { background? }` (default black).
pub fn flatten(key: &str, value: &Received) -> Result<Option<Rgba>, Failure> {
    if let Received::Bool(b) = value {
        return Ok(b.then_some([0, 0, 0, 255]));
    }
    let e = entries(
        key,
        value,
        "boolean or object { background? }",
        &["background"],
    )?;
    Ok(Some(match get(e, "background") {
        Some(v) => {
            let mut c = parse_colour(&format!("{key}.background"), v)?;
            c[3] = 255;
            c
        }
        None => [0, 0, 0, 255],
    }))
}

/// `negate: true | { alpha? }` (alpha default true, as in sharp).
pub fn negate(key: &str, value: &Received) -> Result<Option<Negate>, Failure> {
    if let Received::Bool(b) = value {
        return Ok(b.then_some(Negate { alpha: true }));
    }
    let e = entries(key, value, "boolean or object { alpha? }", &["alpha"])?;
    let alpha = get(e, "alpha").map_or(Ok(true), |v| boolean(&format!("{key}.alpha"), v))?;
    Ok(Some(Negate { alpha }))
}

/// `normalise: true | { lower?, upper? }`: integer percentiles, `0 <= lower < upper
/// <= 100` (sharp's defaults 1 and 99).
pub fn normalise(key: &str, value: &Received) -> Result<Option<Normalise>, Failure> {
    if let Received::Bool(b) = value {
        return Ok(b.then(Normalise::default));
    }
    let e = entries(
        key,
        value,
        "boolean or object { lower?, upper? }",
        &["lower", "upper"],
    )?;
    let mut n = Normalise::default();
    if let Some(v) = get(e, "lower") {
        n.lower = integer_in_range(&format!("{key}.lower"), v, 0, 99)? as u8;
    }
    if let Some(v) = get(e, "upper") {
        n.upper = integer_in_range(&format!("{key}.upper"), v, 1, 100)? as u8;
    }
    if n.lower >= n.upper {
        return Err(refused(format!(
            "Expected {key}.lower ({}) to be less than {key}.upper ({})",
            n.lower, n.upper
        )));
    }
    Ok(Some(n))
}

/// The largest brightness or saturation multiplier accepted.
const MAX_MULTIPLIER: f64 = 10_000.0;

/// `modulate: { brightness?, saturation?, hue?, lightness? }`: multipliers >= 0, hue
/// in whole degrees (taken modulo 360, as sharp does), lightness an L* offset.
pub fn modulate(key: &str, value: &Received) -> Result<Option<Modulate>, Failure> {
    let e = entries(
        key,
        value,
        "object { brightness?, saturation?, hue?, lightness? }",
        &["brightness", "saturation", "hue", "lightness"],
    )?;
    let mut m = Modulate::default();
    if let Some(v) = get(e, "brightness") {
        m.brightness = number_in(&format!("{key}.brightness"), v, 0.0, MAX_MULTIPLIER)?;
    }
    if let Some(v) = get(e, "saturation") {
        m.saturation = number_in(&format!("{key}.saturation"), v, 0.0, MAX_MULTIPLIER)?;
    }
    if let Some(v) = get(e, "hue") {
        let k = format!("{key}.hue");
        let hue = number_in(&k, v, -1e9, 1e9)?;
        if hue.fract() != 0.0 {
            return Err(invalid(&k, "integer (degrees)", v, true));
        }
        m.hue = hue % 360.0;
    }
    if let Some(v) = get(e, "lightness") {
        m.lightness = number_in(&format!("{key}.lightness"), v, -1000.0, 1000.0)?;
    }
    Ok((m != Modulate::default()).then_some(m))
}

/// One overlay: `{ input, gravity? | top? + left?, blend?, tile? }`.
fn layer(key: &str, value: &Received) -> Result<Layer, Failure> {
    let expected = "object { input, gravity?, top?, left?, blend?, tile? }";
    let e = entries(
        key,
        value,
        expected,
        &["input", "gravity", "top", "left", "blend", "tile"],
    )?;
    let input_key = format!("{key}.input");
    let input = match get(e, "input") {
        Some(Received::String(s)) if !s.is_empty() && !s.contains('\0') => {
            LayerInput::Path(PathBuf::from(s))
        }
        Some(Received::Bytes(b)) if !b.is_empty() => LayerInput::Bytes(Arc::clone(b)),
        other => {
            let v = other.unwrap_or(&Received::Undefined);
            return Err(invalid(
                &input_key,
                "Buffer, Uint8Array or non-empty string (a file path)",
                v,
                matches!(v, Received::String(_) | Received::Bytes(_)),
            ));
        }
    };
    let offset = |name: &str| {
        get(e, name)
            .map(|v| {
                let k = format!("{key}.{name}");
                match *v {
                    Received::Number(n)
                        if n.is_finite() && n == n.trunc() && n.abs() <= MAX_OFFSET as f64 =>
                    {
                        Ok(n as i64)
                    }
                    _ => Err(invalid(
                        &k,
                        "integer between -100000000 and 100000000",
                        v,
                        matches!(v, Received::Number(_)),
                    )),
                }
            })
            .transpose()
    };
    let (top, left) = (offset("top")?, offset("left")?);
    let gravity = get(e, "gravity")
        .map(|v| one_of(&format!("{key}.gravity"), v, POSITIONS).map(Position::parse))
        .transpose()?
        .flatten();
    let placement = match (top, left, gravity) {
        (Some(_), Some(_), Some(_)) => {
            return Err(refused(format!(
                "{key}: give either gravity or top and left, not both"
            )))
        }
        (Some(top), Some(left), None) => Placement::Offset { left, top },
        (None, None, g) => Placement::Gravity(g.unwrap_or(Position::Centre)),
        _ => {
            return Err(refused(format!(
                "{key}: expected both left and top to be set"
            )))
        }
    };
    let blend = get(e, "blend")
        .map(|v| one_of(&format!("{key}.blend"), v, BLENDS).map(Blend::parse))
        .transpose()?
        .flatten()
        .unwrap_or(Blend::Over);
    let tile = get(e, "tile").map_or(Ok(false), |v| boolean(&format!("{key}.tile"), v))?;
    Ok(Layer::new(input, placement, blend, tile))
}

/// `composite: [layer, ...]`, at most [`MAX_LAYERS`].
pub fn composite(key: &str, value: &Received) -> Result<Vec<Layer>, Failure> {
    let expected = format!("array of at most {MAX_LAYERS} overlay objects");
    match value {
        Received::Array(items) if items.len() <= MAX_LAYERS => items
            .iter()
            .enumerate()
            .map(|(i, item)| layer(&format!("{key}[{i}]"), item))
            .collect(),
        _ => Err(invalid(
            key,
            &expected,
            value,
            matches!(value, Received::Array(_)),
        )),
    }
}

/// Refuses combinations without a clear meaning, once every option is read.
pub fn check(o: &super::ProcessOptions) -> Result<(), Failure> {
    let ops = &o.ops;
    if ops.strategy.is_some() && o.resize.fit != crate::resample::Fit::Cover {
        return Err(refused(
            "Options position 'entropy' and 'attention' choose a crop, so they need fit 'cover'"
                .into(),
        ));
    }
    if ops.blur.is_some() && ops.sharpen.is_some() {
        return Err(refused(
            "Options 'blur' and 'sharpen' together have no clear meaning; give only one of them"
                .into(),
        ));
    }
    Ok(())
}
