//! The idx format of LeCun's MNIST files (and Fashion-MNIST's): a magic word (two zero
//! bytes, the element type, the number of dimensions), each dimension as a big-endian u32,
//! then the elements in row-major order. Unsigned bytes (type 0x08) are read, which is what
//! image and label files hold.

use std::path::Path;

use consort_core::{ConsortError, Matrix, Result};

use crate::dataset::Dataset;

/// An idx array of bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxArray {
    /// The dimensions (images: count, rows, columns; labels: count).
    pub dims: Vec<usize>,
    /// The elements, row-major.
    pub data: Vec<u8>,
}

/// The Fashion-MNIST classes, by label.
pub const FASHION_MNIST_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

fn bad(source: &str, message: impl Into<String>) -> ConsortError {
    ConsortError::Parse {
        source_name: source.to_string(),
        line: 0,
        message: message.into(),
    }
}

/// Parses idx bytes (`source` names them in errors).
pub fn parse_idx(bytes: &[u8], source: &str) -> Result<IdxArray> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Err(bad(source, "a gzip file: decompress it first (gunzip)"));
    }
    if bytes.len() < 4 || bytes[0] != 0 || bytes[1] != 0 {
        return Err(bad(source, "not an idx file (no 00 00 magic)"));
    }
    if bytes[2] != 0x08 {
        return Err(bad(
            source,
            format!(
                "element type {:#04x}: only unsigned bytes (0x08) are read",
                bytes[2]
            ),
        ));
    }
    let n_dims = usize::from(bytes[3]);
    let header = 4 + 4 * n_dims;
    if n_dims == 0 || bytes.len() < header {
        return Err(bad(source, "truncated header"));
    }
    let dims: Vec<usize> = (0..n_dims)
        .map(|d| {
            let b = &bytes[4 + 4 * d..8 + 4 * d];
            u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize
        })
        .collect();
    let len = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| bad(source, "dimensions overflow"))?;
    if bytes.len() - header != len {
        return Err(bad(
            source,
            format!(
                "dimensions {dims:?} need {len} bytes of data, the file has {}",
                bytes.len() - header
            ),
        ));
    }
    Ok(IdxArray {
        dims,
        data: bytes[header..].to_vec(),
    })
}

/// Reads an idx file.
pub fn read_idx(path: &Path) -> Result<IdxArray> {
    let bytes = std::fs::read(path).map_err(|e| ConsortError::io(path, e))?;
    parse_idx(&bytes, &path.display().to_string())
}

/// Images and their labels as a dataset: one row per image, pixels scaled to [0, 1]
/// (row-major, one channel), the first `limit` images when given.
pub fn idx_dataset(
    images: &Path,
    labels: &Path,
    class_names: &[&str],
    limit: Option<usize>,
) -> Result<Dataset> {
    let (x, y) = (read_idx(images)?, read_idx(labels)?);
    if x.dims.len() != 3 || y.dims.len() != 1 || x.dims[0] != y.dims[0] {
        return Err(ConsortError::ShapeMismatch(format!(
            "images {:?} and labels {:?} do not pair up",
            x.dims, y.dims
        )));
    }
    let n = limit.map_or(x.dims[0], |l| l.min(x.dims[0]));
    let pixels = x.dims[1] * x.dims[2];
    let features = x.data[..n * pixels]
        .iter()
        .map(|&p| f32::from(p) / 255.0)
        .collect();
    let labels: Vec<usize> = y.data[..n].iter().map(|&l| usize::from(l)).collect();
    if let Some(&l) = labels.iter().find(|&&l| l >= class_names.len()) {
        return Err(ConsortError::LabelOutOfRange {
            label: l,
            n_classes: class_names.len(),
        });
    }
    let feature_names = (0..pixels)
        .map(|j| format!("px{}_{}", j / x.dims[2], j % x.dims[2]))
        .collect();
    Dataset::with_names(
        images
            .file_stem()
            .map_or("idx".into(), |s| s.to_string_lossy().into_owned()),
        Matrix::new(n, pixels, features)?,
        labels,
        feature_names,
        class_names.iter().map(|c| c.to_string()).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut b = vec![0, 0, 8, dims.len() as u8];
        for d in dims {
            b.extend(d.to_be_bytes());
        }
        b.extend(data);
        b
    }

    #[test]
    fn arrays_parse_and_damaged_files_are_errors() {
        let a = parse_idx(&file(&[2, 2, 3], &[0; 12]), "x").unwrap();
        assert_eq!(a.dims, [2, 2, 3]);
        assert!(parse_idx(&file(&[2, 2, 3], &[0; 11]), "x").is_err());
        assert!(parse_idx(&[0x1f, 0x8b, 8, 0], "x").is_err());
        assert!(parse_idx(&[0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0], "x").is_err());
        assert!(parse_idx(&[0, 0, 8], "x").is_err());
        let huge = file(&[u32::MAX, u32::MAX, u32::MAX], &[]);
        assert!(parse_idx(&huge, "x").is_err());
    }

    #[test]
    fn a_dataset_pairs_images_with_labels() {
        let dir = std::env::temp_dir().join(format!("consort-idx-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (images, labels) = (dir.join("i"), dir.join("l"));
        std::fs::write(
            &images,
            file(&[3, 2, 2], &[0, 255, 0, 255, 1, 2, 3, 4, 9, 9, 9, 9]),
        )
        .unwrap();
        std::fs::write(&labels, file(&[3], &[1, 0, 1])).unwrap();
        let d = idx_dataset(&images, &labels, &["a", "b"], Some(2)).unwrap();
        assert_eq!((d.len(), d.n_features()), (2, 4));
        assert_eq!(d.features().row(0), [0.0, 1.0, 0.0, 1.0]);
        assert_eq!(d.labels(), [1, 0]);
        std::fs::write(&labels, file(&[3], &[1, 0, 7])).unwrap();
        assert!(idx_dataset(&images, &labels, &["a", "b"], None).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
