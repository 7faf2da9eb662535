//! What the reader says when a file is not what it should be: the likely cause with the
//! way forward (an unclosed quote, a trailing or wrong delimiter, a missing label).

use consort_core::ConsortError;

use super::limits::LineTooLong;
use crate::missing::MISSING_TOKENS;

/// The first 40 characters of a cell, for messages.
pub(super) fn shorten(cell: &str) -> String {
    match cell.char_indices().nth(40) {
        Some((i, _)) => format!("{}...", &cell[..i]),
        None => cell.to_string(),
    }
}

/// `, read with delimiter ';'; the file seems to use ','` when the one header column holds
/// another usual delimiter.
pub(super) fn delimiter_hint(header: &str, delimiter: u8, suggest_option: bool) -> String {
    let candidates = [b',', b';', b'\t', b'|'];
    let best = candidates
        .iter()
        .filter(|&&c| c != delimiter)
        .map(|&c| (header.bytes().filter(|&b| b == c).count(), c))
        .max();
    match best {
        Some((count, c)) if count > 0 && suggest_option => format!(
            " ({:?} read with delimiter {:?}); the file seems to use {:?}: pass --delimiter {:?}",
            shorten(header),
            delimiter as char,
            c as char,
            if c == b'\t' {
                "\\t".to_string()
            } else {
                (c as char).to_string()
            }
        ),
        Some((count, c)) if count > 0 => format!(
            " ({:?} read with delimiter {:?}); the file seems to use {:?}, but the model reads \
             files delimited as its training file was: convert the file",
            shorten(header),
            delimiter as char,
            c as char
        ),
        _ => String::new(),
    }
}

/// Why a row's length differs from the header's, with the likely cause.
pub(super) fn row_length_message(record: &csv::StringRecord, width: usize) -> String {
    let len = record.len();
    if record.iter().any(|f| f.contains('\n')) {
        return format!(
            "a quoted field opened here is never closed (an unmatched '\"'): the row runs on \
             over later lines and has {len} fields, the header {width}"
        );
    }
    if len == width + 1 && record.get(width).is_some_and(str::is_empty) {
        return format!(
            "row has {len} fields, the header has {width}: the row ends with a delimiter"
        );
    }
    format!("row has {len} fields, the header has {width}")
}

/// Numeric labels to one spelling each (`1`, `1.0` and `01` are one class, named `1`); a
/// missing-value token (`?`, `NA`, `NaN`) among numeric labels is an error at its line, not a
/// class of its own.
pub(super) fn canonical_numeric_labels(
    labels: &mut [String],
    lines: &[usize],
) -> std::result::Result<(), (usize, String)> {
    let number = |l: &str| l.parse::<f64>().ok().filter(|v| v.is_finite());
    let numeric = labels.iter().filter(|l| number(l).is_some()).count();
    if numeric == 0 {
        return Ok(());
    }
    if let Some(i) = labels
        .iter()
        .position(|l| number(l).is_none() && MISSING_TOKENS.contains(&l.as_str()))
    {
        return Err((
            lines[i],
            format!(
                "the label {:?} looks missing (the other labels are numbers): remove the row \
                 or give it a class",
                labels[i]
            ),
        ));
    }
    if numeric == labels.len() {
        for l in labels.iter_mut() {
            let v = number(l).expect("counted as numeric");
            // Shortest round-trip spelling; -0 is 0.
            *l = format!("{}", if v == 0.0 { 0.0 } else { v });
        }
    }
    Ok(())
}

/// Columns are matched by name (the label, `--drop`, a test file, a saved model's input): a
/// header naming one twice would match either. The message, where it does.
pub(super) fn duplicate_column(header: &[String]) -> Option<String> {
    header.iter().enumerate().find_map(|(j, name)| {
        let first = header[..j].iter().position(|h| h == name)?;
        Some(format!(
            "the header names column {name:?} twice (columns {} and {}); columns are matched \
             by name: rename one",
            first + 1,
            j + 1
        ))
    })
}

/// A CSV reader's error as a [`ConsortError`]: a line past the limit ([`LineLimited`](super::limits::LineLimited)) and
/// an unequal row are said plainly, with the line.
pub(crate) fn csv_error(source_name: &str, e: csv::Error) -> ConsortError {
    let line = e.position().map_or(0, |p| p.line() as usize);
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("row has {len} fields, the header has {expected_len}"),
        _ => e.to_string(),
    };
    if let csv::ErrorKind::Io(io) = e.kind() {
        if let Some(too_long) = io.get_ref().and_then(|e| e.downcast_ref::<LineTooLong>()) {
            return ConsortError::Parse {
                source_name: source_name.to_string(),
                line: too_long.line,
                message: too_long.to_string(),
            };
        }
        return ConsortError::io(source_name, std::io::Error::new(io.kind(), io.to_string()));
    }
    ConsortError::Parse {
        source_name: source_name.to_string(),
        line,
        message,
    }
}
