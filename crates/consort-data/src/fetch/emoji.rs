//! The emoji set of the npm package `emoji-datasource-google@16.0.0` as paired multimodal
//! data: each emoji's 16x16 image (Noto Color Emoji, cut from the package's sprite sheet and
//! composited on white), its name and short names as text, and its Unicode category as the
//! label. Written as `emoji.csv`: `name,text,category` then 768 pixel columns (RGB,
//! channel-major, 0-255).

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use consort_core::{ConsortError, Result};

use super::{Asset, check_sha256, extract_from_tarball, fail, npm_pack};

const EMOJI_JSON_SHA256: &str = "1d602e65be88772bf8cc368ce16b855d719eeddbafe128d471b80203f494d29f";
const SHEET_SHA256: &str = "97d309a9720384ff99150e5f64de49eead606e9bf2fc2117f2da90029e64334b";
/// Pixels per side of one emoji in the sheet, and the cell (1 px of padding on each side).
pub const EMOJI_SIDE: usize = 16;
const CELL: usize = EMOJI_SIDE + 2;
/// The one category that is not a kind of emoji (skin-tone and hair components): left out.
const SKIPPED_CATEGORY: &str = "Component";

#[derive(serde::Deserialize)]
struct EmojiEntry {
    name: Option<String>,
    short_names: Vec<String>,
    category: String,
    sheet_x: usize,
    sheet_y: usize,
    has_img_google: bool,
}

/// The sheet as RGBA rows.
fn decode_sheet(asset: Asset, path: &Path) -> Result<(usize, usize, Vec<u8>)> {
    let file = File::open(path).map_err(|e| ConsortError::io(path, e))?;
    let decoder = png::Decoder::new(std::io::BufReader::new(file));
    let mut reader = decoder
        .read_info()
        .map_err(|e| fail(asset, format!("sprite sheet: {e}")))?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| fail(asset, "sprite sheet too large"))?;
    let mut buf = vec![0; size];
    let info = reader
        .next_frame(&mut buf)
        .map_err(|e| fail(asset, format!("sprite sheet: {e}")))?;
    if info.color_type != png::ColorType::Rgba || info.bit_depth != png::BitDepth::Eight {
        return Err(fail(
            asset,
            format!(
                "sprite sheet is {:?} {:?}, expected 8-bit RGBA",
                info.color_type, info.bit_depth
            ),
        ));
    }
    buf.truncate(info.buffer_size());
    Ok((info.width as usize, info.height as usize, buf))
}

/// One emoji's pixels, RGB channel-major, composited on white.
fn cut(sheet: &(usize, usize, Vec<u8>), x: usize, y: usize) -> Option<Vec<u8>> {
    let (width, height, data) = sheet;
    let (x0, y0) = (x * CELL + 1, y * CELL + 1);
    if x0 + EMOJI_SIDE > *width || y0 + EMOJI_SIDE > *height {
        return None;
    }
    let mut out = vec![0u8; 3 * EMOJI_SIDE * EMOJI_SIDE];
    for r in 0..EMOJI_SIDE {
        for c in 0..EMOJI_SIDE {
            let p = ((y0 + r) * width + x0 + c) * 4;
            let alpha = f32::from(data[p + 3]) / 255.0;
            for ch in 0..3 {
                let v = alpha * f32::from(data[p + ch]) + (1.0 - alpha) * 255.0;
                out[ch * EMOJI_SIDE * EMOJI_SIDE + r * EMOJI_SIDE + c] = v.round() as u8;
            }
        }
    }
    Some(out)
}

/// `npm pack`, checksums, the sheet cut into images, `emoji.csv` written.
pub(super) fn fetch_emoji(staging: &Path) -> Result<()> {
    let asset = Asset::Emoji;
    let (download, tarball) = npm_pack(
        asset,
        staging,
        "emoji-datasource-google@16.0.0",
        "emoji.csv",
    )?;
    extract_from_tarball(
        asset,
        &tarball,
        &[
            "package/emoji.json",
            "package/img/google/sheets-clean/16.png",
        ],
        &download,
    )?;
    let json = download.join("emoji.json");
    let sheet_path = download.join("16.png");
    check_sha256(asset, &json, EMOJI_JSON_SHA256)?;
    check_sha256(asset, &sheet_path, SHEET_SHA256)?;
    let text = fs::read_to_string(&json).map_err(|e| ConsortError::io(&json, e))?;
    let entries: Vec<EmojiEntry> =
        serde_json::from_str(&text).map_err(|e| fail(asset, format!("emoji.json: {e}")))?;
    let sheet = decode_sheet(asset, &sheet_path)?;
    let target = staging.join("emoji.csv");
    let file = File::create(&target).map_err(|e| ConsortError::io(&target, e))?;
    let mut out = csv::Writer::from_writer(std::io::BufWriter::new(file));
    let n_pixels = 3 * EMOJI_SIDE * EMOJI_SIDE;
    let mut header = vec!["name".to_string(), "text".into(), "category".into()];
    header.extend((0..n_pixels).map(|i| format!("p{i}")));
    let csv_err = |e: csv::Error| fail(asset, format!("writing emoji.csv: {e}"));
    out.write_record(&header).map_err(csv_err)?;
    for e in &entries {
        if !e.has_img_google || e.category == SKIPPED_CATEGORY {
            continue;
        }
        let Some(pixels) = cut(&sheet, e.sheet_x, e.sheet_y) else {
            return Err(fail(
                asset,
                format!(
                    "emoji at ({}, {}) lies outside the sheet",
                    e.sheet_x, e.sheet_y
                ),
            ));
        };
        let name = e.name.clone().unwrap_or_else(|| e.short_names.join(" "));
        // The text modality: the name and the short names, words split on `_` and `-`.
        let words = e.short_names.join(" ").replace(['_', '-'], " ");
        let mut record = vec![
            name.clone(),
            format!("{name} {words}").to_lowercase(),
            e.category.clone(),
        ];
        record.extend(pixels.iter().map(|p| p.to_string()));
        out.write_record(&record).map_err(csv_err)?;
    }
    let mut inner = out
        .into_inner()
        .map_err(|e| fail(asset, format!("writing emoji.csv: {e}")))?;
    inner.flush().map_err(|e| ConsortError::io(&target, e))?;
    fs::remove_dir_all(&download).map_err(|e| ConsortError::io(&download, e))
}
