//! A few-shot image set of Omniglot's shape (many classes, tens of images each, every class
//! one visual concept): letters and digits of the Latin, Greek and Cyrillic alphabets, each
//! drawn by the text fonts of four Debian font packages (URW's 35 PostScript clones, DejaVu,
//! Liberation, GNU FreeFont). Each glyph is rasterised from its outline with `ab_glyph`,
//! scaled to fit a 20x20 box and centred on a 28x28 canvas (MNIST's framing), ink 255 on 0.
//! Characters that look alike after that framing (Latin A, Greek Alpha, Cyrillic A; o and O)
//! are kept once. Written as `glyphs.csv`: `char,font`, then 784 pixel columns.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use ab_glyph::{Font, FontRef, PxScale, point};
use consort_core::{ConsortError, Result};

use super::debian::{DebianPackage, download_debian};
use super::{Asset, Staging, fail};
use crate::csv::{CsvOptions, LabelColumn, read_csv};
use crate::dataset::Dataset;

/// Pixels per side of a glyph image.
pub const GLYPH_SIDE: usize = 28;
/// Pixels per side of the box a glyph is scaled to fit.
const GLYPH_BOX: f32 = 20.0;
/// Mean absolute pixel difference (on 0..1) under which two characters count as one shape.
const SAME_SHAPE: f32 = 0.04;
/// Fonts a character must be drawn by to become a class.
const MIN_FONTS: usize = 20;

/// The font packages (Debian bookworm): 67 text fonts in all.
const FONT_PACKAGES: [DebianPackage; 4] = [
    DebianPackage {
        package: "fonts-urw-base35",
        version: "20200910-7",
        sha256: "93e4997c99c4c31ea88c5d37e2259af0a0c826b9358931d5a69f794f7f0c73ac",
        bytes: 10_803_036,
    },
    DebianPackage {
        package: "fonts-dejavu-core",
        version: "2.37-6",
        sha256: "8892669e51aab4dc56682c8e39d8ddb7d70fad83c369344e1e240bf3ca22bb76",
        bytes: 1_067_728,
    },
    DebianPackage {
        package: "fonts-liberation",
        version: "1:1.07.4-11",
        sha256: "efd381517f958b01969343634ffcbdd60056be7779af84c6f53a005090430204",
        bytes: 827_812,
    },
    DebianPackage {
        package: "fonts-freefont-ttf",
        version: "20120503-10",
        sha256: "4ca1c21ebc479198a3a5879d236c8317d6f7b2f1c403f7890e24c02eead05615",
        bytes: 2_552_432,
    },
];

/// Downloads the font packages, renders `glyphs.csv` into `staging`.
pub(super) fn fetch_glyphs(staging: &Staging<'_>) -> Result<()> {
    let asset = Asset::Glyphs;
    let download = staging.join("download");
    // Every package unpacks into the same tree under `download`.
    for package in &FONT_PACKAGES {
        download_debian(asset, package, &download, staging)?;
    }
    let fonts = font_files(&download)?;
    let (classes, images) = write_glyphs_csv(asset, &fonts, &staging.join("glyphs.csv"))?;
    if classes < 100 || images < 50 * classes {
        return Err(fail(
            asset,
            format!(
                "{} fonts gave {classes} classes and {images} images",
                fonts.len()
            ),
        ));
    }
    fs::remove_dir_all(&download).map_err(|e| ConsortError::io(&download, e))
}

/// Font files without letters (symbols, dingbats): not read.
const SYMBOL_FONTS: [&str; 2] = ["StandardSymbolsPS", "D050000L"];

/// The candidate characters, in class order before look-alikes are dropped.
pub fn candidate_chars() -> Vec<char> {
    let mut chars: Vec<char> = ('A'..='Z').chain('a'..='z').chain('0'..='9').collect();
    // Greek capitals (U+03A2 is unassigned) and small letters, final sigma included.
    chars.extend(('\u{391}'..='\u{3A9}').filter(|&c| c != '\u{3A2}'));
    chars.extend('\u{3B1}'..='\u{3C9}');
    // Cyrillic capitals and small letters of the basic block.
    chars.extend('\u{410}'..='\u{44F}');
    chars
}

/// `c` in `font`, framed as a `GLYPH_SIDE` square of coverage in 0..1; `None` when the font
/// has no glyph for it (or an empty one).
pub fn render(font: &FontRef<'_>, c: char) -> Option<Vec<f32>> {
    let id = font.glyph_id(c);
    if id.0 == 0 {
        return None;
    }
    // Measure at a large size, then draw at the size that fits the box.
    let probe = font.outline_glyph(id.with_scale(PxScale::from(100.0)))?;
    let bounds = probe.px_bounds();
    let largest = bounds.width().max(bounds.height());
    if largest <= 0.0 {
        return None;
    }
    let scale = 100.0 * GLYPH_BOX / largest;
    let glyph = font.outline_glyph(id.with_scale_and_position(scale, point(0.0, 0.0)))?;
    let bounds = glyph.px_bounds();
    let side = GLYPH_SIDE as f32;
    let (left, top) = (
        ((side - bounds.width()) / 2.0).round() as i64,
        ((side - bounds.height()) / 2.0).round() as i64,
    );
    let mut image = vec![0.0f32; GLYPH_SIDE * GLYPH_SIDE];
    glyph.draw(|x, y, coverage| {
        let (x, y) = (left + i64::from(x), top + i64::from(y));
        if (0..GLYPH_SIDE as i64).contains(&x) && (0..GLYPH_SIDE as i64).contains(&y) {
            let p = &mut image[y as usize * GLYPH_SIDE + x as usize];
            *p = (*p + coverage).min(1.0);
        }
    });
    Some(image)
}

fn mean_abs_difference(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32
}

/// The font files under `dir` (OpenType and TrueType), letters only, sorted by file name.
pub fn font_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).map_err(|e| ConsortError::io(&d, e))? {
            let path = entry.map_err(|e| ConsortError::io(&d, e))?.path();
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "otf" || e == "ttf")
                && !SYMBOL_FONTS.contains(&stem.as_str())
            {
                found.push(path);
            }
        }
    }
    found.sort_by_key(|p| p.file_name().map(|n| n.to_os_string()));
    Ok(found)
}

/// Renders every candidate character in every font of `fonts` into `target` (the CSV
/// described in the module docs). Returns the number of classes and of images.
pub fn write_glyphs_csv(asset: Asset, fonts: &[PathBuf], target: &Path) -> Result<(usize, usize)> {
    let data: Vec<(String, Vec<u8>)> = fonts
        .iter()
        .map(|p| {
            let bytes = fs::read(p).map_err(|e| ConsortError::io(p, e))?;
            let name = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok((name, bytes))
        })
        .collect::<Result<_>>()?;
    let parsed: Vec<(&str, FontRef<'_>)> = data
        .iter()
        .map(|(name, bytes)| {
            FontRef::try_from_slice(bytes)
                .map(|f| (name.as_str(), f))
                .map_err(|e| fail(asset, format!("font {name}: {e}")))
        })
        .collect::<Result<_>>()?;
    // Each candidate's images; a candidate whose images look like an earlier class's in
    // most fonts both have is the same shape and is left out.
    let mut classes: Vec<(char, Vec<Option<Vec<f32>>>)> = Vec::new();
    for c in candidate_chars() {
        let images: Vec<Option<Vec<f32>>> = parsed.iter().map(|(_, f)| render(f, c)).collect();
        if images.iter().flatten().count() < MIN_FONTS {
            continue;
        }
        let looks_like_earlier = classes.iter().any(|(_, earlier)| {
            let shared: Vec<f32> = earlier
                .iter()
                .zip(&images)
                .filter_map(|(a, b)| Some(mean_abs_difference(a.as_ref()?, b.as_ref()?)))
                .collect();
            let alike = shared.iter().filter(|&&d| d < SAME_SHAPE).count();
            !shared.is_empty() && 2 * alike > shared.len()
        });
        if !looks_like_earlier {
            classes.push((c, images));
        }
    }
    let file = File::create(target).map_err(|e| ConsortError::io(target, e))?;
    let mut out = csv::Writer::from_writer(std::io::BufWriter::new(file));
    let csv_err = |e: csv::Error| fail(asset, format!("writing glyphs.csv: {e}"));
    let mut header = vec!["char".to_string(), "font".into()];
    header.extend((0..GLYPH_SIDE * GLYPH_SIDE).map(|i| format!("p{i}")));
    out.write_record(&header).map_err(csv_err)?;
    let mut n_images = 0;
    for (c, images) in &classes {
        for ((font, _), image) in parsed.iter().zip(images) {
            let Some(image) = image else { continue };
            let mut record = vec![format!("U+{:04X} {c}", u32::from(*c)), font.to_string()];
            record.extend(
                image
                    .iter()
                    .map(|v| ((v * 255.0).round() as u8).to_string()),
            );
            out.write_record(&record).map_err(csv_err)?;
            n_images += 1;
        }
    }
    out.into_inner()
        .map_err(|e| fail(asset, format!("writing glyphs.csv: {e}")))?
        .flush()
        .map_err(|e| ConsortError::io(target, e))?;
    Ok((classes.len(), n_images))
}

/// Reads `glyphs.csv` (what `consort fetch glyphs` writes) as a dataset: one class per
/// character, one row per font's drawing, pixels scaled to [0, 1].
pub fn read_glyphs_csv(path: &Path) -> Result<Dataset> {
    let raw = read_csv(
        path,
        &CsvOptions {
            label: LabelColumn::Name("char".into()),
            drop_columns: vec!["font".into()],
            ..CsvOptions::default()
        },
    )?;
    let x = raw.features();
    let scaled = consort_core::Matrix::new(
        x.rows(),
        x.cols(),
        x.as_slice().iter().map(|v| v / 255.0).collect(),
    )?;
    raw.with_features(scaled)
}
