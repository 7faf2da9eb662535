//! R's data files without R: `.rda` / `.RData` (`save()`), `.rds` (`saveRDS()`) and the
//! lazy-load databases that installed packages ship (`data/Rdata.rdx` + `Rdata.rdb`), read
//! into [`RObject`]s, and data frames turned into CSV for the project's loaders.
//!
//! The format is R's serialisation (R Internals, "Serialization formats"): a header, then
//! every object as a flags word (type, object bit, attributes, tag) followed by its payload,
//! big-endian (XDR); symbols and environments are written once and referred back to by
//! index. Versions 2 and 3 are read, including version 3's ALTREP objects (compact integer
//! sequences, deferred strings, wrappers), which recent R writes for row names and the
//! like. Files come gzip-, bzip2- or xz-compressed (`.rda`), and lazy-load records zlib- or
//! bzip2- or raw-LZMA2-compressed; every case is detected from the bytes.

mod files;
mod frame;
mod lazyload;
mod object;
mod reader;

pub use files::{read_rda, read_rds};
pub use frame::{RColumn, RFrame};
pub use lazyload::LazyLoadDb;
pub use object::{RObject, RValue};
pub use reader::unserialize;
