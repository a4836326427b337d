//! Colours given as CSS-like strings (`'#fff'`, `'#ff000080'`, `'rgb(1,2,3)'`,
//! `'rgba(1,2,3,0.5)'`, a few names) or as sharp's `{ r, g, b, alpha }` objects.

use crate::error::Failure;
use crate::raster::Rgba;
use crate::validate::{invalid, Received};

const EXPECTED: &str =
    "CSS colour string (#rgb, #rrggbb, #rrggbbaa, rgb(), rgba() or a name) or { r, g, b, alpha }";

const NAMES: [(&str, Rgba); 10] = [
    ("black", [0, 0, 0, 255]),
    ("white", [255, 255, 255, 255]),
    ("transparent", [0, 0, 0, 0]),
    ("red", [255, 0, 0, 255]),
    ("green", [0, 128, 0, 255]),
    ("blue", [0, 0, 255, 255]),
    ("yellow", [255, 255, 0, 255]),
    ("gray", [128, 128, 128, 255]),
    ("grey", [128, 128, 128, 255]),
    ("orange", [255, 165, 0, 255]),
];

/// Parses option `name` as a colour.
pub fn parse_colour(name: &str, received: &Received) -> Result<Rgba, Failure> {
    let parsed = match received {
        Received::String(s) => parse_css(s.trim()),
        Received::Object(entries) => parse_object(entries),
        _ => return Err(invalid(name, EXPECTED, received, false)),
    };
    parsed.ok_or_else(|| invalid(name, EXPECTED, received, true))
}

fn parse_css(s: &str) -> Option<Rgba> {
    let lower = s.to_ascii_lowercase();
    if let Some((_, c)) = NAMES.iter().find(|(n, _)| *n == lower) {
        return Some(*c);
    }
    if let Some(hex) = lower.strip_prefix('#') {
        let digit = |c: char| c.to_digit(16).map(|d| d as u8);
        let digits: Option<Vec<u8>> = hex.chars().map(digit).collect();
        let d = digits?;
        return match d.len() {
            3 | 4 => {
                let mut c = [255u8; 4];
                for (i, v) in d.iter().enumerate() {
                    c[i] = v * 17;
                }
                Some(c)
            }
            6 | 8 => {
                let mut c = [255u8; 4];
                for (i, pair) in d.chunks(2).enumerate() {
                    c[i] = pair[0] * 16 + pair[1];
                }
                Some(c)
            }
            _ => None,
        };
    }
    let (inner, with_alpha) = if let Some(rest) = lower.strip_prefix("rgba(") {
        (rest.strip_suffix(')')?, true)
    } else {
        (lower.strip_prefix("rgb(")?.strip_suffix(')')?, false)
    };
    let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
    if parts.len() != if with_alpha { 4 } else { 3 } {
        return None;
    }
    let mut c = [255u8; 4];
    for (i, part) in parts.iter().take(3).enumerate() {
        let v: f64 = part.parse().ok()?;
        if !(0.0..=255.0).contains(&v) {
            return None;
        }
        c[i] = v.round() as u8;
    }
    if with_alpha {
        c[3] = alpha_byte(parts[3].parse().ok()?)?;
    }
    Some(c)
}

/// Alpha given as 0..=1.
fn alpha_byte(a: f64) -> Option<u8> {
    (0.0..=1.0).contains(&a).then(|| (a * 255.0).round() as u8)
}

fn parse_object(entries: &[(String, Received)]) -> Option<Rgba> {
    let mut c = [0u8, 0, 0, 255];
    for (key, value) in entries {
        let Received::Number(v) = value else {
            return None;
        };
        match key.as_str() {
            "r" | "g" | "b" => {
                if !(0.0..=255.0).contains(v) {
                    return None;
                }
                let i = match key.as_str() {
                    "r" => 0,
                    "g" => 1,
                    _ => 2,
                };
                c[i] = v.round() as u8;
            }
            "alpha" => c[3] = alpha_byte(*v)?,
            _ => return None,
        }
    }
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Received {
        Received::String(v.into())
    }

    #[test]
    fn css_forms() {
        assert_eq!(parse_colour("bg", &s("#fff")), Ok([255, 255, 255, 255]));
        assert_eq!(parse_colour("bg", &s("#FF000080")), Ok([255, 0, 0, 128]));
        assert_eq!(parse_colour("bg", &s("rgb(1, 2, 3)")), Ok([1, 2, 3, 255]));
        assert_eq!(parse_colour("bg", &s("rgba(1,2,3,0)")), Ok([1, 2, 3, 0]));
        assert_eq!(parse_colour("bg", &s("White")), Ok([255, 255, 255, 255]));
        assert!(parse_colour("bg", &s("#12")).is_err());
        assert!(parse_colour("bg", &s("rgb(300,0,0)")).is_err());
    }

    #[test]
    fn sharp_objects() {
        let o = Received::Object(vec![
            ("r".into(), Received::Number(10.0)),
            ("g".into(), Received::Number(20.0)),
            ("b".into(), Received::Number(30.0)),
            ("alpha".into(), Received::Number(0.5)),
        ]);
        assert_eq!(parse_colour("bg", &o), Ok([10, 20, 30, 128]));
        assert!(parse_colour("bg", &Received::Number(3.0)).is_err());
    }
}
