//! Bounds on what the reader takes in, so that a wrong file (`/dev/zero`, a binary, a 1 GB
//! line) ends in a clear error with bounded memory.

use std::io::Read;

/// Upper bounds on a CSV file's shape, checked while reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvLimits {
    /// Longest line (header included) in bytes; a quoted field may span lines, each counted
    /// apart. Default 16 MiB.
    pub max_line_bytes: usize,
    /// Most cells (rows x columns). Default 200 million (800 MB as `f32` features).
    pub max_cells: usize,
    /// Most memory the parsed rows may take before they become numbers (their text, plus
    /// the reader's bookkeeping of about 16 bytes a cell and 112 a row). Default 1 GiB: an
    /// endless stream of valid rows (`/dev/stdin`) stops there, not at the machine's limit.
    pub max_parsed_bytes: usize,
}

impl CsvLimits {
    /// The memory a parsed row of `text_bytes` bytes in `cells` cells takes, as
    /// [`max_parsed_bytes`](Self::max_parsed_bytes) counts it.
    pub fn parsed_row_bytes(text_bytes: usize, cells: usize) -> usize {
        text_bytes + 16 * cells + 112
    }
}

impl Default for CsvLimits {
    fn default() -> Self {
        Self {
            max_line_bytes: 16 << 20,
            max_cells: 200_000_000,
            max_parsed_bytes: 1 << 30,
        }
    }
}

/// The parsed rows' memory so far against [`CsvLimits::max_parsed_bytes`]: what stops an
/// endless stream of valid rows (every reader that keeps its rows counts them here).
pub(crate) struct ParsedBudget {
    used: usize,
    limit: usize,
}

impl ParsedBudget {
    /// An empty budget of `limit` bytes.
    pub(crate) fn new(limit: usize) -> Self {
        Self { used: 0, limit }
    }

    /// Counts `record`, the row after `rows_before` kept ones; past the limit, the message.
    pub(crate) fn add(
        &mut self,
        record: &csv::StringRecord,
        rows_before: usize,
    ) -> Result<(), String> {
        self.used = self.used.saturating_add(CsvLimits::parsed_row_bytes(
            record.as_slice().len(),
            record.len(),
        ));
        if self.used > self.limit {
            return Err(format!(
                "{rows_before} rows take more than {} MiB parsed (the limit, max_parsed_bytes): \
                 is this an endless stream? For a larger table, sample its rows or raise the \
                 limit where the machine has the memory",
                self.limit >> 20
            ));
        }
        Ok(())
    }
}

/// The error a [`LineLimited`] reader raises, found again in the CSV reader's I/O error.
#[derive(Debug)]
pub(crate) struct LineTooLong {
    pub(super) line: usize,
    limit: usize,
}

impl std::fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the line is longer than {} bytes (the limit): is this a CSV file? (a binary, or a \
             file without line breaks)",
            self.limit
        )
    }
}

impl std::error::Error for LineTooLong {}

/// Passes bytes through, failing once a line grows past the limit: the CSV reader buffers
/// a whole record, so without this an endless line (`/dev/zero`) grows without bound.
pub(crate) struct LineLimited<R> {
    pub(crate) inner: R,
    pub(crate) limit: usize,
    pub(crate) line: usize,
    pub(crate) in_line: usize,
}

impl<R> LineLimited<R> {
    /// `inner` with lines of at most `limit` bytes.
    pub(crate) fn new(inner: R, limit: usize) -> Self {
        Self {
            inner,
            limit,
            line: 1,
            in_line: 0,
        }
    }
}

impl<R: Read> Read for LineLimited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            if b == b'\n' {
                self.line += 1;
                self.in_line = 0;
            } else {
                self.in_line += 1;
                if self.in_line > self.limit {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        LineTooLong {
                            line: self.line,
                            limit: self.limit,
                        },
                    ));
                }
            }
        }
        Ok(n)
    }
}
