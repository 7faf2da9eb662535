//! # consort-data
//!
//! Data in, tensors out: a [`Dataset`] of features and labels, [`read_csv`] / [`write_csv`],
//! seeded stratified splits and k-fold, a [`StandardScaler`] fitted on training rows only,
//! translated copies of image rows for augmentation, typed network inputs (dense rows, images,
//! token ids with masks, pairs) batched from [`InputSource`]s, and two embedded datasets ([`embedded::digits`],
//! [`embedded::iris`]).

#![warn(missing_docs)]

pub mod augment;
pub mod batch;
pub mod categorical;
pub mod csv;
pub mod dataset;
pub mod embedded;
#[cfg(feature = "fetch")]
pub mod fetch;
pub mod idx;
pub mod input;
pub mod item_content;
pub mod missing;
pub mod paired;
pub mod ratings;
#[cfg(feature = "rdata")]
pub mod rdata;
pub mod regression;
pub mod scale;
pub mod scenario;
pub mod split;
pub mod synthetic;
pub mod table;
pub mod text;
pub mod tfidf;

pub use crate::csv::{
    CsvLimits, CsvOptions, LabelColumn, is_parquet, parse_csv, parse_table, read_column, read_csv,
    read_header, read_table, write_csv,
};
pub use augment::{ImageShape, mixup_rows, shifted_copies};
pub use categorical::OneHotEncoder;
pub use dataset::Dataset;
pub use input::{Dense, ImageRows, Images, InputSource, Pair, Paired, TokenIds, TokenRows};
pub use missing::{Imputer, MissingValues};
pub use paired::{ImageTextSet, read_image_text_csv};
pub use ratings::{Ratings, low_rank_ratings, read_ratings_csv};
pub use regression::RegressionDataset;
pub use scale::StandardScaler;
pub use scenario::{Experience, Scenario, ScenarioKind};
pub use split::{
    Fold, Rows, Splits, kfold, over_folds, stratified_kfold, take, train_test_split,
    train_validation_test_split,
};
pub use table::{RawTable, TextColumn};
pub use text::{TextDataset, Vocabulary, bag_of_ids, read_text_csv, tokenize};
pub use tfidf::{TfidfConfig, TfidfVectorizer};
