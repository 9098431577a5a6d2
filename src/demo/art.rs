//! Generated pictures for the demo studio: soft gradients, a horizon and a few discs, in a
//! palette per item. Ours to publish; no third-party media is committed or downloaded.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};

use image::{ImageEncoder as _, Rgb, RgbImage};

/// Two colours and a seed that make one picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Palette {
    /// Top-left colour.
    pub from: [u8; 3],
    /// Bottom-right colour.
    pub to: [u8; 3],
    /// Accent (discs, horizon).
    pub accent: [u8; 3],
    /// Varies positions.
    pub seed: u32,
}

fn mix(a: u8, b: u8, t: f32) -> u8 {
    let v = f32::from(a) + (f32::from(b) - f32::from(a)) * t;
    v.clamp(0.0, 255.0) as u8
}

/// A small deterministic pseudo-random sequence (xorshift), so pictures are stable.
fn next(state: &mut u32) -> f32 {
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    (x % 10_000) as f32 / 10_000.0
}

/// Pictures painted in this process, by size and palette. Painting is most of what seeding
/// costs, and the same studio is seeded again and again in one process (every test app, the
/// benchmarks): a picture is painted once and its bytes (about 2 MiB for the whole studio)
/// are kept.
static PAINTED: LazyLock<Mutex<HashMap<Painting, Vec<u8>>>> = LazyLock::new(Mutex::default);

/// Width, height and palette.
type Painting = (u32, u32, Palette);

/// A `width`×`height` picture in palette `p`, as JPEG (the same bytes every time).
pub fn picture(width: u32, height: u32, p: Palette) -> Result<Vec<u8>, image::ImageError> {
    let key = (width, height, p);
    let painted = |k| {
        PAINTED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(k)
            .cloned()
    };
    if let Some(bytes) = painted(&key) {
        return Ok(bytes);
    }
    let bytes = paint(width, height, p)?;
    PAINTED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key, bytes.clone());
    Ok(bytes)
}

/// Paints a `width`×`height` picture and encodes it as JPEG.
fn paint(width: u32, height: u32, p: Palette) -> Result<Vec<u8>, image::ImageError> {
    let mut rng = p.seed.wrapping_mul(2_654_435_761).max(1);
    let discs: Vec<(f32, f32, f32, f32)> = (0..4)
        .map(|_| {
            (
                next(&mut rng) * width as f32,
                next(&mut rng) * height as f32 * 0.7,
                (0.08 + next(&mut rng) * 0.22) * height as f32,
                0.15 + next(&mut rng) * 0.35,
            )
        })
        .collect();
    let horizon = height as f32 * (0.58 + next(&mut rng) * 0.2);
    let wave = 8.0 + next(&mut rng) * 24.0;
    let mut img = RgbImage::new(width, height);
    for (x, y, px) in img.enumerate_pixels_mut() {
        let (fx, fy) = (x as f32, y as f32);
        let t = (fx / width as f32 * 0.4 + fy / height as f32 * 0.6).clamp(0.0, 1.0);
        let mut c = [
            mix(p.from[0], p.to[0], t),
            mix(p.from[1], p.to[1], t),
            mix(p.from[2], p.to[2], t),
        ];
        for (cx, cy, r, alpha) in &discs {
            let d = ((fx - cx).powi(2) + (fy - cy).powi(2)).sqrt();
            if d < *r {
                let edge = ((r - d) / (r * 0.25)).min(1.0) * alpha;
                for (ch, accent) in c.iter_mut().zip(p.accent) {
                    *ch = mix(*ch, accent, edge);
                }
            }
        }
        let line = horizon + (fx / width as f32 * std::f32::consts::TAU * 1.5).sin() * wave;
        if fy > line {
            let depth = ((fy - line) / (height as f32 - line + 1.0)).min(1.0);
            for ch in &mut c {
                *ch = mix(*ch, 12, 0.55 + depth * 0.35);
            }
        }
        *px = Rgb(c);
    }
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 78).write_image(
        img.as_raw(),
        width,
        height,
        image::ExtendedColorType::Rgb8,
    )?;
    Ok(out)
}

/// A one-page PDF with a title and a few lines of text (Helvetica), standing in for the
/// files of the demo's digital products. ASCII only; offsets in the xref are exact.
pub fn pdf(title: &str, lines: &[&str]) -> Vec<u8> {
    fn escape(text: &str) -> String {
        text.chars()
            .filter(|c| c.is_ascii() && !c.is_ascii_control())
            .flat_map(|c| match c {
                '(' | ')' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect()
    }
    let mut content = format!("BT /F1 22 Tf 72 740 Td ({}) Tj ET\n", escape(title));
    for (i, line) in lines.iter().enumerate() {
        let y = 700 - 20 * i64::try_from(i).unwrap_or(0);
        content.push_str(&format!(
            "BT /F1 12 Tf 72 {y} Td ({}) Tj ET\n",
            escape(line)
        ));
    }
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_are_jpegs_and_stable() {
        let p = Palette {
            from: [20, 30, 60],
            to: [200, 120, 60],
            accent: [250, 220, 180],
            seed: 7,
        };
        let a = picture(64, 40, p).unwrap();
        let b = paint(64, 40, p).unwrap();
        assert_eq!(&a[..3], &[0xFF, 0xD8, 0xFF]);
        assert_eq!(a, b);
    }

    #[test]
    fn the_pdf_is_well_formed() {
        let pdf = super::pdf("Cinematic (LUTs) \\ 2026", &["one", "two"]);
        let text = String::from_utf8(pdf).unwrap();
        assert!(text.starts_with("%PDF-1.4"));
        assert!(text.ends_with("%%EOF\n"));
        assert!(text.contains("(Cinematic \\(LUTs\\) \\\\ 2026)"));
        // The xref offsets point at the objects.
        let xref: usize = text
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(text[xref..].starts_with("xref"));
        let first: usize = text[xref..].lines().nth(3).unwrap()[..10].parse().unwrap();
        assert!(text[first..].starts_with("1 0 obj"));
    }
}
