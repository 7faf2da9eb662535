//! Paired multimodal rows: an image and a text per labelled item (the emoji set that
//! `consort fetch emoji` writes as `emoji.csv`), optionally with tabular columns (its
//! `unicode.csv`), split and turned into feature matrices together so the modalities stay
//! aligned.

use std::path::Path;

use consort_core::{ConsortError, Matrix, Result};

use crate::dataset::Dataset;
use crate::split::stratified_indices;

/// Items with an image and a text each, and a class.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageTextSet {
    /// Each item's name.
    pub names: Vec<String>,
    /// Each item's text.
    pub texts: Vec<String>,
    /// Each item's image, one row of `channels * height * width` values (channel-major).
    pub images: Matrix,
    /// Each item's tabular values (no columns unless [`ImageTextSet::with_tabular`] added them).
    pub tabular: Matrix,
    /// Each item's class.
    pub labels: Vec<usize>,
    /// Class names, by index (sorted).
    pub classes: Vec<String>,
}

impl ImageTextSet {
    /// Number of items.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The items at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Self {
        Self {
            names: indices.iter().map(|&i| self.names[i].clone()).collect(),
            texts: indices.iter().map(|&i| self.texts[i].clone()).collect(),
            images: self.images.select_rows(indices),
            tabular: self.tabular.select_rows(indices),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            classes: self.classes.clone(),
        }
    }

    /// A stratified split: `fraction` of each class to the second part, drawn with `seed`.
    pub fn split(&self, fraction: f64, seed: u64) -> Result<(Self, Self)> {
        let (first, second) = stratified_indices(&self.labels, self.classes.len(), fraction, seed)?;
        Ok((self.subset(&first), self.subset(&second)))
    }

    /// These items with a tabular modality: `table`'s rows, one per item in the same order,
    /// with the same labels (so that a table read apart cannot be paired with the wrong items).
    pub fn with_tabular(mut self, table: &Dataset) -> Result<Self> {
        if table.len() != self.len() {
            return Err(ConsortError::ShapeMismatch(format!(
                "{} tabular rows for {} items",
                table.len(),
                self.len()
            )));
        }
        if let Some(i) = (0..self.len()).find(|&i| table.labels()[i] != self.labels[i]) {
            return Err(ConsortError::InvalidInput(format!(
                "tabular row {i} has class {}, item {i} ({}) class {}",
                table.labels()[i],
                self.names[i],
                self.labels[i]
            )));
        }
        self.tabular = table.features().clone();
        Ok(self)
    }

    /// The images as a labelled dataset.
    pub fn image_dataset(&self) -> Result<Dataset> {
        Dataset::new(self.images.clone(), self.labels.clone(), self.classes.len())
    }
}

/// Reads `name,text,category,p0,...` rows (what `consort fetch emoji` writes): pixel cells
/// 0-255, scaled to [0, 1].
pub fn read_image_text_csv(path: &Path) -> Result<ImageTextSet> {
    let source_name = path.display().to_string();
    let mut reader = csv::Reader::from_path(path).map_err(|e| match e.into_kind() {
        csv::ErrorKind::Io(io) => ConsortError::io(path, io),
        other => ConsortError::Parse {
            source_name: source_name.clone(),
            line: 1,
            message: format!("{other:?}"),
        },
    })?;
    let parse = |line: usize, message: String| ConsortError::Parse {
        source_name: source_name.clone(),
        line,
        message,
    };
    let header = reader
        .headers()
        .map_err(|e| parse(1, e.to_string()))?
        .clone();
    if header.len() < 4 || &header[0] != "name" || &header[1] != "text" || &header[2] != "category"
    {
        return Err(parse(
            1,
            "expected the header name,text,category,p0,p1,...".into(),
        ));
    }
    let n_pixels = header.len() - 3;
    let (mut names, mut texts, mut categories, mut pixels) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| parse(line, e.to_string()))?;
        if record.len() != header.len() {
            return Err(parse(
                line,
                format!("{} cells, the header has {}", record.len(), header.len()),
            ));
        }
        names.push(record[0].to_string());
        texts.push(record[1].to_string());
        categories.push(record[2].to_string());
        for cell in record.iter().skip(3) {
            let v: u8 = cell
                .trim()
                .parse()
                .map_err(|_| parse(line, format!("pixel {cell:?} is not an integer 0-255")))?;
            pixels.push(f32::from(v) / 255.0);
        }
    }
    if names.is_empty() {
        return Err(ConsortError::EmptyDataset(format!(
            "{source_name} has no rows"
        )));
    }
    let mut classes = categories.clone();
    classes.sort();
    classes.dedup();
    let labels = categories
        .iter()
        .map(|c| classes.binary_search(c).unwrap_or_default())
        .collect();
    Ok(ImageTextSet {
        images: Matrix::new(names.len(), n_pixels, pixels)?,
        tabular: Matrix::zeros(names.len(), 0),
        names,
        texts,
        labels,
        classes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv::{CsvOptions, parse_csv};

    fn write(text: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
        file
    }

    const ITEMS: &str = "name,text,category,p0,p1\n\
                         a,apple red,Food,255,0\n\
                         b,flag fr,Flags,0,51\n\
                         c,pear,Food,102,204\n";

    fn table(text: &str) -> Dataset {
        parse_csv(
            text.as_bytes(),
            "unicode.csv",
            &CsvOptions {
                drop_columns: vec!["name".into()],
                ..CsvOptions::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn a_tabular_record_pairs_row_for_row_and_splits_with_its_items() {
        let file = write(ITEMS);
        let set = read_image_text_csv(file.path()).unwrap();
        assert_eq!(set.classes, ["Flags", "Food"]);
        assert_eq!(set.images.row(2), &[0.4, 0.8]);
        assert_eq!(set.tabular.shape(), (3, 0));
        let record = table("name,codepoint,zwj,category\na,1,0,Food\nb,2,1,Flags\nc,3,0,Food\n");
        let set = set.with_tabular(&record).unwrap();
        assert_eq!(set.tabular.shape(), (3, 2));
        let part = set.subset(&[2, 0]);
        assert_eq!(part.names, ["c", "a"]);
        assert_eq!(part.tabular.row(0), &[3.0, 0.0]);
        assert_eq!(part.tabular.row(1), &[1.0, 0.0]);
    }

    #[test]
    fn a_record_of_other_items_is_a_typed_error() {
        let file = write(ITEMS);
        let set = read_image_text_csv(file.path()).unwrap();
        let short = table("name,codepoint,category\na,1,Food\nb,2,Flags\n");
        assert!(matches!(
            set.clone().with_tabular(&short),
            Err(ConsortError::ShapeMismatch(_))
        ));
        let swapped = table("name,codepoint,category\nb,2,Flags\na,1,Food\nc,3,Food\n");
        assert!(matches!(
            set.with_tabular(&swapped),
            Err(ConsortError::InvalidInput(_))
        ));
    }
}
