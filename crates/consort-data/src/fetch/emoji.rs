//! The emoji set of the npm package `emoji-datasource-google@16.0.0` as paired multimodal
//! data: each emoji's 16x16 image (Noto Color Emoji, cut from the package's sprite sheet and
//! composited on white), its name and short names as text, and its Unicode category as the
//! label. Written as `emoji.csv`: `name,text,category` then 768 pixel columns (RGB,
//! channel-major, 0-255); and, row for row, `unicode.csv`: a third, tabular modality from the
//! emoji's Unicode record (see [`UNICODE_COLUMNS`]), with the same `name` first and
//! `category` last. The category's own fields (`category`, `subcategory`, `sort_order`, which
//! orders emoji by category) are not among its columns.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use consort_core::{ConsortError, Result};

use super::{Asset, Staging, check_sha256, extract_from_tarball, fail, npm_pack};

const EMOJI_JSON_SHA256: &str = "1d602e65be88772bf8cc368ce16b855d719eeddbafe128d471b80203f494d29f";
const SHEET_SHA256: &str = "97d309a9720384ff99150e5f64de49eead606e9bf2fc2117f2da90029e64334b";
/// The npm tarball's size in bytes (for the download's progress bar).
const EMOJI_TARBALL_BYTES: u64 = 74_344_091;
/// Pixels per side of one emoji in the sheet, and the cell (1 px of padding on each side).
pub const EMOJI_SIDE: usize = 16;
const CELL: usize = EMOJI_SIDE + 2;
/// The one category that is not a kind of emoji (skin-tone and hair components): left out.
const SKIPPED_CATEGORY: &str = "Component";

/// The numeric columns of `unicode.csv`, between `name` and `category`.
pub const UNICODE_COLUMNS: [&str; 7] = [
    // The sequence's first code point (U+1F600 is 128512): Unicode allots emoji in blocks.
    "codepoint",
    // Code points in the sequence (flags are two, family groups up to seven).
    "scalars",
    // 1 when the sequence joins emoji with U+200D (zero-width joiner), else 0.
    "zwj",
    // 1 when the emoji comes in skin tones, else 0.
    "skin_tones",
    // The Unicode (Emoji) version that added it, 0.6 to 16.0.
    "unicode_version",
    // 1 when one of the Japanese carriers (docomo, au, SoftBank) had it before Unicode.
    "japanese_carrier",
    // 1 when it has an ASCII emoticon (`:)`), else 0.
    "emoticon",
];

#[derive(serde::Deserialize)]
struct EmojiEntry {
    name: Option<String>,
    short_names: Vec<String>,
    category: String,
    sheet_x: usize,
    sheet_y: usize,
    has_img_google: bool,
    unified: String,
    added_in: String,
    #[serde(default)]
    skin_variations: Option<serde_json::Value>,
    #[serde(default)]
    docomo: Option<String>,
    #[serde(default)]
    au: Option<String>,
    #[serde(default)]
    softbank: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    texts: Option<Vec<String>>,
}

impl EmojiEntry {
    /// The values of [`UNICODE_COLUMNS`], or why the record cannot give them.
    fn unicode_row(&self) -> std::result::Result<[f64; 7], String> {
        let scalars = self
            .unified
            .split('-')
            .map(|hex| u32::from_str_radix(hex, 16))
            .collect::<std::result::Result<Vec<u32>, _>>()
            .map_err(|_| format!("code points {:?} are not hexadecimal", self.unified))?;
        let version: f64 = self
            .added_in
            .parse()
            .map_err(|_| format!("added_in {:?} is not a version", self.added_in))?;
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let carrier = [&self.docomo, &self.au, &self.softbank]
            .iter()
            .any(|c| c.is_some());
        let emoticon = self.text.is_some() || self.texts.as_ref().is_some_and(|t| !t.is_empty());
        Ok([
            f64::from(scalars[0]),
            scalars.len() as f64,
            flag(scalars.contains(&0x200D)),
            flag(self.skin_variations.is_some()),
            version,
            flag(carrier),
            flag(emoticon),
        ])
    }
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
pub(super) fn fetch_emoji(staging: &Staging<'_>) -> Result<()> {
    let asset = Asset::Emoji;
    let (download, tarball) = npm_pack(
        asset,
        staging,
        "emoji-datasource-google@16.0.0",
        EMOJI_TARBALL_BYTES,
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
    let unicode_target = staging.join("unicode.csv");
    let unicode_file =
        File::create(&unicode_target).map_err(|e| ConsortError::io(&unicode_target, e))?;
    let mut unicode_out = csv::Writer::from_writer(std::io::BufWriter::new(unicode_file));
    let mut unicode_header = vec!["name"];
    unicode_header.extend(UNICODE_COLUMNS);
    unicode_header.push("category");
    unicode_out.write_record(&unicode_header).map_err(csv_err)?;
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
        let unicode = e
            .unicode_row()
            .map_err(|m| fail(asset, format!("{name}: {m}")))?;
        let mut unicode_record = vec![name];
        unicode_record.extend(unicode.iter().map(|v| v.to_string()));
        unicode_record.push(e.category.clone());
        unicode_out.write_record(&unicode_record).map_err(csv_err)?;
    }
    unicode_out
        .into_inner()
        .map_err(|e| fail(asset, format!("writing unicode.csv: {e}")))?
        .flush()
        .map_err(|e| ConsortError::io(&unicode_target, e))?;
    let mut inner = out
        .into_inner()
        .map_err(|e| fail(asset, format!("writing emoji.csv: {e}")))?;
    inner.flush().map_err(|e| ConsortError::io(&target, e))?;
    fs::remove_dir_all(&download).map_err(|e| ConsortError::io(&download, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(json: &str) -> EmojiEntry {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn the_unicode_record_reads_the_sequence_and_the_flags() {
        // A family: a zero-width-joined sequence from Emoji 2.0 with no skin tones.
        let family = entry(
            r#"{"name": "FAMILY", "short_names": ["family"], "category": "People & Body",
                "sheet_x": 0, "sheet_y": 0, "has_img_google": true,
                "unified": "1F468-200D-1F469-200D-1F466", "added_in": "2.0"}"#,
        );
        assert_eq!(
            family.unicode_row().unwrap(),
            [128104.0, 5.0, 1.0, 0.0, 2.0, 0.0, 0.0]
        );
        let smile = entry(
            r#"{"name": "SMILING FACE", "short_names": ["smile"], "category": "Smileys & Emotion",
                "sheet_x": 0, "sheet_y": 0, "has_img_google": true, "unified": "1F604",
                "added_in": "0.6", "docomo": "E6F0", "texts": [":)"],
                "skin_variations": null}"#,
        );
        assert_eq!(
            smile.unicode_row().unwrap(),
            [128516.0, 1.0, 0.0, 0.0, 0.6, 1.0, 1.0]
        );
        let hand = entry(
            r#"{"name": "WAVING HAND SIGN", "short_names": ["wave"], "category": "People & Body",
                "sheet_x": 0, "sheet_y": 0, "has_img_google": true, "unified": "1F44B",
                "added_in": "0.6", "skin_variations": {"1F3FB": {}}}"#,
        );
        assert_eq!(hand.unicode_row().unwrap()[3], 1.0);
    }

    #[test]
    fn a_malformed_record_is_reported_not_written() {
        let bad = entry(
            r#"{"name": "X", "short_names": [], "category": "Symbols", "sheet_x": 0,
                "sheet_y": 0, "has_img_google": true, "unified": "1F4ZZ", "added_in": "1.0"}"#,
        );
        assert!(bad.unicode_row().unwrap_err().contains("1F4ZZ"));
    }
}
