//! Data sets from Debian packages: `apt-get download` (no install, no root unless the
//! package lists are missing), sha256 of the `.deb`, `dpkg-deb -x`, then R's data files
//! inside converted into CSV files (label last) that the loaders read. The corpus for
//! meta-learned model selection comes this way: the UCI sets that `r-cran-mlbench` ships
//! converted to R, and the classification sets of `r-cran-modeldata`.

use std::fs::{self, File};
use std::path::Path;

use consort_core::{ConsortError, Result};

use super::{Asset, Staging, check_sha256, downloaded, fail, run_client};
use crate::rdata::{LazyLoadDb, RFrame, RObject, read_rda};

/// One data set inside a package: its R name, the label column, columns to leave out
/// (identifiers, split markers).
#[derive(Debug, Clone, Copy)]
pub struct PackageDataset {
    /// The object's name in R (and the CSV file's stem).
    pub name: &'static str,
    /// The label column.
    pub label: &'static str,
    /// Columns dropped (identifiers and the like).
    pub drop: &'static [&'static str],
}

const fn set(name: &'static str, label: &'static str) -> PackageDataset {
    PackageDataset {
        name,
        label,
        drop: &[],
    }
}

/// The classification sets of `r-cran-mlbench` 2.1-3 (UCI repository sets).
pub const MLBENCH: [PackageDataset; 14] = [
    PackageDataset {
        name: "BreastCancer",
        label: "Class",
        drop: &["Id"],
    },
    set("DNA", "Class"),
    set("Glass", "Type"),
    set("HouseVotes84", "Class"),
    set("Ionosphere", "Class"),
    set("LetterRecognition", "lettr"),
    set("PimaIndiansDiabetes", "diabetes"),
    set("Satellite", "classes"),
    set("Shuttle", "Class"),
    set("Sonar", "Class"),
    set("Soybean", "Class"),
    set("Vehicle", "Class"),
    set("Vowel", "Class"),
    set("Zoo", "type"),
];

/// The classification sets of `r-cran-modeldata` 1.1.0.
pub const MODELDATA: [PackageDataset; 10] = [
    set("ad_data", "Class"),
    set("attrition", "Attrition"),
    PackageDataset {
        name: "cells",
        label: "class",
        drop: &["case"],
    },
    set("credit_data", "Status"),
    set("hpc_data", "class"),
    set("mlc_churn", "churn"),
    set("oils", "class"),
    set("penguins", "species"),
    set("scat", "Species"),
    set("two_class_dat", "Class"),
];

/// Classification sets of `r-cran-mass` 7.3-58.2 (Venables and Ripley's data; those not
/// already in the corpus through mlbench, and the outcome columns that give a label away
/// dropped).
pub const MASS: [PackageDataset; 8] = [
    PackageDataset {
        name: "Aids2",
        label: "status",
        // The day of death or of the end of follow-up.
        drop: &["death"],
    },
    PackageDataset {
        name: "bacteria",
        label: "y",
        drop: &["ID"],
    },
    PackageDataset {
        name: "biopsy",
        label: "class",
        drop: &["ID"],
    },
    PackageDataset {
        name: "birthwt",
        label: "low",
        // `low` is `bwt < 2500`.
        drop: &["bwt"],
    },
    set("cats", "Sex"),
    PackageDataset {
        name: "crabs",
        label: "sp",
        drop: &["index"],
    },
    set("Melanoma", "status"),
    set("shuttle", "use"),
];

/// The classification sets of `r-cran-kernlab` 0.9-32.
pub const KERNLAB: [PackageDataset; 5] = [
    set("income", "INCOME"),
    set("musk", "Class"),
    set("promotergene", "Class"),
    set("spam", "type"),
    set("ticdata", "CARAVAN"),
];

/// What to take from an unpacked package.
pub(super) enum Conversion {
    /// R data sets, each into `<name>.csv`, label last.
    RDatasets(&'static [PackageDataset]),
    /// gzip files copied out decompressed, named without `.gz`.
    Gunzip(&'static [&'static str]),
    /// MovieLens from dslabs: `ratings.csv` and `movies.csv`.
    MovieLens,
}

/// A Debian package and what to take from it.
pub(super) struct DebianSource {
    pub package: DebianPackage,
    /// The package's data folder, inside the extracted tree.
    pub data_dir: &'static str,
    pub conversion: Conversion,
}

pub(super) const MLBENCH_SOURCE: DebianSource = DebianSource {
    package: DebianPackage {
        package: "r-cran-mlbench",
        version: "2.1-3-1",
        sha256: "2f1127f7b5e7d08703b13b52ef1976a0c355a7660d6ac575e29b87b13921bc06",
        bytes: 1_049_188,
    },
    data_dir: "usr/lib/R/site-library/mlbench/data",
    conversion: Conversion::RDatasets(&MLBENCH),
};

pub(super) const MODELDATA_SOURCE: DebianSource = DebianSource {
    package: DebianPackage {
        package: "r-cran-modeldata",
        version: "1.1.0-1",
        sha256: "66c2e08bb4bf695d972b1e72ea44d5af9ada3c42841793d3871017f7b896bf95",
        bytes: 4_253_384,
    },
    data_dir: "usr/lib/R/site-library/modeldata/data",
    conversion: Conversion::RDatasets(&MODELDATA),
};

pub(super) const MASS_SOURCE: DebianSource = DebianSource {
    package: DebianPackage {
        package: "r-cran-mass",
        version: "7.3-58.2-1",
        sha256: "7f645471246d0925798c12d5ebc3e6dd365d01836ad4587931c916f2caf0f654",
        bytes: 1_120_992,
    },
    data_dir: "usr/lib/R/library/MASS/data",
    conversion: Conversion::RDatasets(&MASS),
};

pub(super) const KERNLAB_SOURCE: DebianSource = DebianSource {
    package: DebianPackage {
        package: "r-cran-kernlab",
        version: "0.9-32-1",
        sha256: "ab09291d7de965e84f808e3ae646d7043fa87e1e30cfcebec6b95d14f6828b62",
        bytes: 2_112_480,
    },
    data_dir: "usr/lib/R/site-library/kernlab/data",
    conversion: Conversion::RDatasets(&KERNLAB),
};

/// The Fashion-MNIST idx files (Xiao et al. 2017, MIT).
pub const FASHION_MNIST_FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

pub(super) const FASHION_MNIST_SOURCE: DebianSource = DebianSource {
    package: DebianPackage {
        package: "dataset-fashion-mnist",
        version: "0.0~git20200523.55506a9-1",
        sha256: "39e172fe32dd318ebb3e512220c3beea2fa47d7e20bab348fb4e0922d6beefc0",
        bytes: 30_900_652,
    },
    data_dir: "usr/share/datasets/fashion-mnist",
    conversion: Conversion::Gunzip(&FASHION_MNIST_FILES),
};

pub(super) const MOVIELENS_SOURCE: DebianSource = DebianSource {
    package: DebianPackage {
        package: "r-cran-dslabs",
        version: "0.7.4-1",
        sha256: "c3f93382c44d4581de9561792a87b110cb239c70771cac5ad63fa0a259e71ef3",
        bytes: 4_654_136,
    },
    data_dir: "usr/lib/R/site-library/dslabs/data",
    conversion: Conversion::MovieLens,
};

/// A Debian package pinned by version and checksum.
#[derive(Debug, Clone, Copy)]
pub(super) struct DebianPackage {
    pub package: &'static str,
    pub version: &'static str,
    pub sha256: &'static str,
    /// The `.deb`'s size in bytes (for the download's progress bar).
    pub bytes: u64,
}

/// `apt-get download`s `package` into a folder of its own under `download` (fetching the
/// package lists first on a fresh machine, as root), checks its checksum and unpacks it into
/// `download/tree`; returns that folder.
pub(super) fn download_debian(
    asset: Asset,
    package: &DebianPackage,
    download: &Path,
    staging: &Staging<'_>,
) -> Result<std::path::PathBuf> {
    // Alone in its folder, so the bytes there are this download's (the tree may hold an
    // earlier package's files).
    let debs = download.join("deb");
    fs::create_dir_all(&debs).map_err(|e| ConsortError::io(&debs, e))?;
    let spec = format!("{}={}", package.package, package.version);
    let hint = "this needs Debian's apt-get (or put the CSV files in the cache folder by hand)";
    let watch = staging.watch(package.package, package.bytes);
    let get = ["download", spec.as_str()];
    if let Err(first) = run_client(asset, "apt-get", &get, &debs, hint, Some(&watch)) {
        // A fresh machine may have no package lists yet: fetch them once (as root) and retry.
        let root = std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0"));
        if !root {
            return Err(first);
        }
        run_client(asset, "apt-get", &["update", "-qq"], &debs, hint, None)?;
        run_client(asset, "apt-get", &get, &debs, hint, Some(&watch))?;
    }
    let deb = downloaded(asset, &debs, ".deb")?;
    check_sha256(asset, &deb, package.sha256)?;
    let tree = download.join("tree");
    run_client(
        asset,
        "dpkg-deb",
        &["-x", &deb.to_string_lossy(), &tree.to_string_lossy()],
        download,
        "dpkg-deb comes with Debian's dpkg",
        None,
    )?;
    fs::remove_dir_all(&debs).map_err(|e| ConsortError::io(&debs, e))?;
    Ok(tree)
}

/// Downloads, checks and unpacks the package into `staging/download`, converts its data
/// sets into `staging/<name>.csv`.
pub(super) fn fetch_debian(
    asset: Asset,
    source: &DebianSource,
    staging: &Staging<'_>,
) -> Result<()> {
    let download = staging.join("download");
    let tree = download_debian(asset, &source.package, &download, staging)?;
    let data = tree.join(source.data_dir);
    match &source.conversion {
        Conversion::RDatasets(sets) => r_datasets(asset, &data, sets, staging)?,
        Conversion::Gunzip(files) => {
            for f in *files {
                let from = data.join(format!("{f}.gz"));
                let to = staging.join(f);
                let input = File::open(&from).map_err(|e| ConsortError::io(&from, e))?;
                let mut output = File::create(&to).map_err(|e| ConsortError::io(&to, e))?;
                std::io::copy(&mut flate2::read::GzDecoder::new(input), &mut output)
                    .map_err(|e| fail(asset, format!("{}: {e}", from.display())))?;
                output.sync_all().map_err(|e| ConsortError::io(&to, e))?;
            }
        }
        Conversion::MovieLens => movielens(asset, &data, staging)?,
    }
    fs::remove_dir_all(&download).map_err(|e| ConsortError::io(&download, e))
}

fn r_datasets(asset: Asset, data: &Path, sets: &[PackageDataset], staging: &Path) -> Result<()> {
    let objects = PackageData::open(data).map_err(|e| fail(asset, e.to_string()))?;
    for d in sets {
        let object = objects
            .get(d.name)
            .map_err(|e| fail(asset, format!("{}: {e}", d.name)))?;
        let mut frame =
            RFrame::from_object(&object).map_err(|e| fail(asset, format!("{}: {e}", d.name)))?;
        for drop in d.drop {
            if let Some(i) = frame.names.iter().position(|n| n == drop) {
                frame.names.remove(i);
                frame.columns.remove(i);
            }
        }
        frame.write_csv(&staging.join(format!("{}.csv", d.name)), Some(d.label))?;
    }
    Ok(())
}

/// dslabs' `movielens` (the MovieLens latest-small ratings of 2016, with titles, years and
/// genres) as `ratings.csv` (`userId,movieId,rating,timestamp`: what the ratings loader
/// reads) and `movies.csv` (`movieId,title,year,genres`, one row per movie).
fn movielens(asset: Asset, data: &Path, staging: &Path) -> Result<()> {
    let db = PackageData::open(data).map_err(|e| fail(asset, e.to_string()))?;
    let frame = RFrame::from_object(&db.get("movielens")?)
        .map_err(|e| fail(asset, format!("movielens: {e}")))?;
    let column = |name: &str| {
        let i = frame
            .names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| fail(asset, format!("movielens has no column {name}")))?;
        Ok::<_, ConsortError>(i)
    };
    let ratings = RFrame {
        names: ["userId", "movieId", "rating", "timestamp"]
            .map(String::from)
            .to_vec(),
        columns: vec![
            frame.columns[column("userId")?].clone(),
            frame.columns[column("movieId")?].clone(),
            frame.columns[column("rating")?].clone(),
            frame.columns[column("timestamp")?].clone(),
        ],
    };
    ratings.write_csv(&staging.join("ratings.csv"), None)?;
    // One row per movie, in order of first appearance.
    let movie = &frame.columns[column("movieId")?];
    let mut seen = std::collections::HashSet::new();
    let mut first = Vec::new();
    for i in 0..frame.rows() {
        if seen.insert(movie.cell_text(i)) {
            first.push(i);
        }
    }
    let movies = RFrame {
        names: ["movieId", "title", "year", "genres"]
            .map(String::from)
            .to_vec(),
        columns: ["movieId", "title", "year", "genres"]
            .iter()
            .map(|c| Ok(frame.columns[column(c)?].select(&first)))
            .collect::<Result<_>>()?,
    };
    movies.write_csv(&staging.join("movies.csv"), None)
}

/// A package's data folder: one `.rda` per data set, or a lazy-load database.
enum PackageData {
    Files(std::path::PathBuf),
    Database(LazyLoadDb),
}

impl PackageData {
    fn open(dir: &Path) -> Result<Self> {
        let db = dir.join("Rdata.rdx");
        if db.is_file() {
            Ok(Self::Database(LazyLoadDb::open(&db)?))
        } else {
            Ok(Self::Files(dir.to_path_buf()))
        }
    }

    fn get(&self, name: &str) -> Result<RObject> {
        match self {
            Self::Database(db) => db.get(name),
            Self::Files(dir) => {
                let path = dir.join(format!("{name}.rda"));
                read_rda(&path)?
                    .into_iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, o)| o)
                    .ok_or_else(|| {
                        ConsortError::config(format!("{} holds no {name}", path.display()))
                    })
            }
        }
    }
}
